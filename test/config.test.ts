import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineConfig, findConfig, loadConfig, validateConfig } from "../src/config.ts";
import { ConfigError } from "../src/errors.ts";
import { type TempProject, tempProject } from "./_project.ts";

const MOD = pathToFileURL(join(import.meta.dirname ?? ".", "..", "mod.ts")).href;
let project: TempProject;
beforeEach(async () => void (project = await tempProject()));
afterEach(() => project.remove());

async function configError(fn: () => Promise<unknown>): Promise<ConfigError> {
  const error = await fn().then(() => undefined, (e) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("config files", () => {
  it("loads a typed bernstein.config.ts and normalises every entry form", async () => {
    const file = await project.write(
      "bernstein.config.ts",
      `import { defineConfig } from ${JSON.stringify(MOD)};
export default defineConfig({
  plugins: [
    "./a.ts",
    ["./b.ts", { greeting: "hi" }],
    { use: "npm:some-pkg@^1", options: { x: 1 }, enabled: false, timeoutMs: 50, name: "renamed" },
    { name: "inline", hooks: { onAgentDied() {} } },
  ],
  hooks: { timeoutMs: 2000, circuitBreaker: false, validate: true, onError: "isolate" },
  lock: { path: "deno.lock", frozen: true },
  strict: true,
});`,
    );
    const loaded = await loadConfig(undefined, project.dir);
    expect(loaded.file).toBe(file);
    expect(loaded.dir).toBe(project.dir);
    expect(loaded.config.hooks).toEqual({
      timeoutMs: 2000,
      circuitBreaker: false,
      validate: true,
      onError: "isolate",
    });
    expect(
      loaded.entries.map((e) => [e.path, typeof e.use === "string" ? e.use : "inline", e.options, e.enabled]),
    )
      .toEqual([
        ["plugins[0]", "./a.ts", undefined, true],
        ["plugins[1]", "./b.ts", { greeting: "hi" }, true],
        ["plugins[2]", "npm:some-pkg@^1", { x: 1 }, false],
        ["plugins[3]", "inline", undefined, true],
      ]);
    expect(loaded.entries[2]).toMatchObject({ timeoutMs: 50, name: "renamed" });
  });

  const forms: [string, string][] = [
    ["bernstein.config.json", JSON.stringify({ plugins: ["./x.ts"] })],
    ["bernstein.config.mjs", `export default { plugins: ["./x.ts"] };`],
    ["bernstein.config.js", `export default { plugins: ["./x.ts"] };`],
  ];
  for (const [name, content] of forms) {
    it(`loads ${name}`, async () => {
      await project.write("package.json", JSON.stringify({ type: "module" }));
      await project.write(name, content);
      const loaded = await loadConfig(undefined, project.dir);
      expect(loaded.entries.map((e) => e.use)).toEqual(["./x.ts"]);
    });
  }

  it("searches from the working directory upward, preferring .ts", async () => {
    await project.write("bernstein.config.json", "{}");
    const ts = await project.write("bernstein.config.ts", "export default {};");
    await project.write("deep/er/placeholder.txt", "");
    expect(await findConfig(join(project.dir, "deep", "er"))).toBe(ts);
  });

  it("takes an explicit path relative to the working directory", async () => {
    const file = await project.write("conf/custom.json", JSON.stringify({ plugins: [] }));
    const loaded = await loadConfig("conf/custom.json", project.dir);
    expect(loaded.file).toBe(file);
    expect(loaded.dir).toBe(join(project.dir, "conf"));
  });

  it("says how to create a config when there is none", async () => {
    const error = await configError(() => loadConfig(undefined, project.dir));
    expect(error.message).toMatch(
      /^Cannot find a config file in ".*" or its parents; create bernstein\.config\.ts/,
    );
  });

  it("names a missing explicit file", async () => {
    const error = await configError(() => loadConfig("nope.ts", project.dir));
    expect(error.message).toBe(`Cannot read config "${join(project.dir, "nope.ts")}": no such file`);
  });

  it("names a missing file given from the working folder by its full path too", async () => {
    const error = await configError(() => loadConfig("nope.ts", process.cwd()));
    expect(error.message).toBe(
      `Cannot read config "nope.ts": no such file (${join(process.cwd(), "nope.ts")})`,
    );
  });

  it("suggests the key meant for a misspelt one", () => {
    let error: ConfigError | undefined;
    try {
      validateConfig(
        { plugin: [], hooks: { timeout: 5 }, lock: { froze: true } },
        "/repo/bernstein.config.ts",
      );
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toEqual([
      { path: "hooks.timeout", message: 'unknown key "timeout"; did you mean "timeoutMs"?' },
      { path: "plugin", message: 'unknown key "plugin"; did you mean "plugins"?' },
      { path: "lock.froze", message: 'unknown key "froze"; did you mean "frozen"?' },
    ]);
  });

  it("says so when --config names a folder", async () => {
    await project.write("configs/placeholder.txt", "");
    const error = await configError(() => loadConfig("configs", project.dir));
    expect(error.message).toBe(
      `Cannot read config "${join(project.dir, "configs")}": it is a folder; name the config file in it, ` +
        `or leave out --config to search from the working directory upward`,
    );
  });

  it("names a missing JSON config, and a folder in its place", async () => {
    let error = await configError(() => loadConfig("nope.json", project.dir));
    expect(error.message).toBe(`Cannot read config "${join(project.dir, "nope.json")}": no such file`);
    await project.write("dir.json/placeholder.txt", "");
    error = await configError(() => loadConfig("dir.json", project.dir));
    expect(error.message).toBe(
      `Cannot read config "${join(project.dir, "dir.json")}": it is a folder, not a file`,
    );
  });

  it("names the file and the position of a JSON syntax error", async () => {
    await project.write("bernstein.config.json", '{ "plugins": [ "./a.ts", ] }');
    const error = await configError(() => loadConfig(undefined, project.dir));
    expect(error.message).toMatch(
      /^Cannot parse config ".*bernstein\.config\.json": .*(JSON|position|token)/i,
    );
  });

  it("names the file of a config that cannot be imported", async () => {
    await project.write("bernstein.config.mjs", "export default { plugins: [ };");
    const error = await configError(() => loadConfig(undefined, project.dir));
    expect(error.message).toMatch(/^Cannot import config ".*bernstein\.config\.mjs": /);
  });

  it("asks for a default export", async () => {
    await project.write("bernstein.config.mjs", "export const plugins = [];");
    const error = await configError(() => loadConfig(undefined, project.dir));
    expect(error.message).toMatch(
      /has no default export; write export default defineConfig\(\{ \.\.\. \}\)$/,
    );
  });
});

describe("config validation", () => {
  it("checks with valibot any config that is not a plain list of plugins: getters, inherited and hidden keys", () => {
    const problemsOf = (config: object) => {
      try {
        validateConfig(config, "/repo/bernstein.config.ts");
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => p.path);
      }
    };
    class WithGetter {
      plugins = [];
      get hooks() {
        return { timeoutMs: "soon" };
      }
    }
    expect(problemsOf(new WithGetter())).toEqual(["hooks.timeoutMs"]);
    const inherited = Object.assign(Object.create({ allowHttpHosts: [""] }), { plugins: [] });
    expect(problemsOf(inherited)).not.toEqual([]);
    const hidden = Object.defineProperty({ plugins: [] }, "cacheDir", { value: "", enumerable: false });
    expect(problemsOf(hidden)).not.toEqual([]);
    expect(problemsOf({ plugins: ["./a.ts"], strict: true, discover: false })).toEqual([]);
    expect(problemsOf({ plugins: ["./a.ts"], strict: "yes" })).toEqual(["strict"]);
  });

  it("lists one problem per mistake with its path, what was expected and what was found", () => {
    let error: ConfigError | undefined;
    try {
      validateConfig({
        plugins: [
          "./ok.ts",
          42,
          ["./a.ts"],
          { use: "./x.ts", enabled: "yes" },
          { use: 5 },
          { use: "./y.ts", integrity: "md5-abc" },
          { use: "./z.ts", option: {} },
          { use: " " },
          ["", {}],
        ],
        hooks: { timeoutMs: -1, retries: 3 },
        lock: { frozen: "no" },
        strict: 1,
      }, "/repo/bernstein.config.ts");
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.file).toBe("/repo/bernstein.config.ts");
    expect(error?.problems).toEqual([
      { path: "hooks.timeoutMs", message: "Invalid value: Expected >=1 but received -1" },
      { path: "hooks.retries", message: 'unknown key "retries"' },
      { path: "strict", message: "Invalid type: Expected boolean but received 1" },
      { path: "lock.frozen", message: 'Invalid type: Expected boolean but received "no"' },
      {
        path: "plugins[1]",
        message:
          "expected a specifier string, [specifier, options], { use, options } or a plugin object, received a number",
      },
      { path: "plugins[2]", message: "expected [specifier, options], received an array of 1 item(s)" },
      { path: "plugins[3].enabled", message: 'Invalid type: Expected boolean but received "yes"' },
      {
        path: "plugins[4].use",
        message: "expected a plugin specifier or an inline plugin, received a number",
      },
      { path: "plugins[5].integrity", message: 'Expected an SRI hash such as "sha384-..."' },
      { path: "plugins[6].option", message: 'unknown key "option"; did you mean "options"?' },
      {
        path: "plugins[7].use",
        message: "expected a plugin specifier or an inline plugin, received an empty specifier",
      },
      {
        path: "plugins[8]",
        message: "expected [specifier, options], received an array of 2 item(s) whose specifier is empty",
      },
    ]);
    expect(error?.message.split("\n")[0]).toBe('Invalid config "/repo/bernstein.config.ts": 12 problems');
  });

  it("refuses a config that is not an object", () => {
    expect(() => validateConfig([], "/c.json")).toThrow(
      'Invalid config "/c.json": expected an object (export default defineConfig({ ... })), received an array',
    );
  });

  it("gives defineConfig's argument back unchanged", () => {
    const config = { plugins: ["./a.ts"] };
    expect(defineConfig(config)).toBe(config);
  });
});
