import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { LoadFailedError, PluginLoadError } from "../src/errors.ts";
import { loadPlugins } from "../src/loader/load.ts";
import { createManager } from "../src/setup.ts";
import { fixturePlugin, jsonConfig, type TempProject, tempProject } from "./_project.ts";
import { recordingLogger } from "./_helpers.ts";

let project: TempProject;
beforeEach(async () => void (project = await tempProject()));
afterEach(() => project.remove());

const spawn = { agentId: "a1", role: "backend", adapter: "claude" };

async function load(config: Record<string, unknown>) {
  await project.write("bernstein.config.json", jsonConfig(config));
  const log = recordingLogger();
  const { manager, report } = await createManager(await loadConfig(undefined, project.dir), { logger: log });
  return { manager, report, log };
}

describe("loading local plugins", () => {
  it("resolves relative paths against the config file's folder, not the working directory", async () => {
    await project.write(
      "plugins/local.ts",
      await (await import("node:fs/promises")).readFile(fixturePlugin("greeter.ts"), "utf8")
        .then((text) => text.replace("../../../mod.ts", new URL("../mod.ts", import.meta.url).href)),
    );
    const { manager, report } = await load({ plugins: ["./plugins/local.ts"] });
    expect(report.errors).toEqual([]);
    expect(report.loaded[0].resolved).toMatch(/^file:\/\/.*\/plugins\/local\.ts$/);
    expect(manager.hook.onAgentSpawned(spawn)).toEqual(["greeter greets a1"]);
  });

  it("loads absolute paths and file: URLs, factories with options, function factories and named exports", async () => {
    const { manager, report } = await load({
      plugins: [
        fixturePlugin("greeter.ts"),
        [`file://${fixturePlugin("greeting-factory.ts")}`, { greeting: "hello", times: 2 }],
        { use: fixturePlugin("function-factory.ts"), options: { label: "fn" } },
        fixturePlugin("named-export.ts"),
      ],
    });
    expect(report.errors).toEqual([]);
    expect(await manager.hook.onAgentSpawned(spawn)).toEqual([
      "greeter greets a1",
      "hello a1 x2 #1",
      "fn:a1",
      "named",
    ]);
  });

  it("reports registration and load failures together, in config order", async () => {
    await project.write("unknown-hook.ts", `export default { name: "odd", hooks: { onTaskCreatd() {} } };\n`);
    const { report } = await load({ plugins: ["./unknown-hook.ts", "./missing.ts"] });
    expect(report.errors.map((e) => e.entry.replace(/^.*: /, ""))).toEqual(["plugins[0]", "plugins[1]"]);
    expect(report.errors[0].message).toContain('did you mean "onTaskCreated"');
    expect(report.errors[1].message).toContain("no such file");
  });

  it("loads concurrently and registers in config order", async () => {
    const log = ((globalThis as { __setupLog?: string[] }).__setupLog = []);
    const { manager } = await load({
      plugins: [
        { use: fixturePlugin("slow-setup.ts"), options: { delayMs: 120, label: "slow" }, name: "slow" },
        { use: fixturePlugin("slow-setup.ts"), options: { delayMs: 5, label: "fast" }, name: "fast" },
      ],
    });
    // Both set-ups start before either ends (their imports race, so either may start first).
    expect(log.slice(0, 2).sort()).toEqual(["start:fast", "start:slow"]);
    expect(log.slice(2)).toEqual(["end:fast", "end:slow"]);
    expect(manager.list().map((p) => p.name)).toEqual(["slow", "fast"]);
    expect(await manager.hook.onAgentSpawned(spawn)).toEqual(["slow", "fast"]);
  });

  it("skips disabled entries and applies the entry's name and deadline", async () => {
    const { manager, report } = await load({
      hooks: { timeoutMs: 5000 },
      plugins: [
        { use: fixturePlugin("greeter.ts"), enabled: false },
        { use: fixturePlugin("named-export.ts"), name: "renamed", timeoutMs: 25 },
      ],
    });
    expect(report.loaded.map((l) => l.plugin.name)).toEqual(["renamed"]);
    const impl = report.loaded[0].plugin.hooks.onAgentSpawned as { timeoutMs: number };
    expect(impl.timeoutMs).toBe(25);
    expect(manager.list().map((p) => p.name)).toEqual(["renamed"]);
  });
});

describe("loading npm packages", () => {
  beforeEach(async () => {
    await project.install("bernstein-plugin-fixture");
  });

  it("loads a bare package name, npm: with a range, a subpath and a pattern subpath", async () => {
    const { manager, report } = await load({
      plugins: [
        "bernstein-plugin-fixture",
        { use: "npm:bernstein-plugin-fixture@^1.2", name: "again" },
        "npm:bernstein-plugin-fixture/extra",
        "npm:bernstein-plugin-fixture@1.4.0/features/audit.js",
      ],
    });
    expect(report.errors).toEqual([]);
    expect(report.loaded.map((l) => [l.plugin.name, l.version])).toEqual([
      ["npm-fixture", "1.4.0"],
      ["again", "1.4.0"],
      ["npm-fixture-extra", "1.4.0"],
      ["npm-fixture-feature", "1.4.0"],
    ]);
    expect(report.loaded[0].resolved).toMatch(/node_modules\/bernstein-plugin-fixture\/index\.js$/);
    expect(await manager.hook.onAgentSpawned(spawn)).toEqual([
      "npm-fixture saw a1",
      "npm-fixture saw a1",
      "extra",
      "feature",
    ]);
  });

  const failures: [string, string][] = [
    [
      "npm:bernstein-plugin-fixture@^2",
      "installed bernstein-plugin-fixture@1.4.0 does not satisfy ^2: run npm install bernstein-plugin-fixture@^2",
    ],
    ["npm:not-installed-pkg", 'package "not-installed-pkg" is not installed in'],
    [
      "npm:bernstein-plugin-fixture/missing",
      'package "bernstein-plugin-fixture" does not export "./missing"',
    ],
    ["npm:bernstein-plugin-fixture@not~a~range", '"not~a~range" is not a valid version range'],
  ];
  for (const [specifier, message] of failures) {
    it(`explains ${specifier}`, async () => {
      const { report } = await load({ plugins: [specifier] });
      expect(report.errors).toHaveLength(1);
      expect(report.errors[0].message).toContain(`Cannot load plugin "${specifier}" (`);
      expect(report.errors[0].message).toContain(message);
    });
  }
});

describe("discovery", () => {
  it("finds installed packages that declare themselves plugins, after the listed ones", async () => {
    await project.install("bernstein-plugin-fixture");
    await project.install("@acme/bernstein-audit-fixture");
    const { report } = await load({ discover: true, plugins: [fixturePlugin("named-export.ts")] });
    expect(report.errors).toEqual([]);
    expect(report.loaded.map((l) => l.plugin.name)).toEqual(["named-export", "acme-audit", "npm-fixture"]);
  });

  it("does not load a discovered package twice when the config lists it", async () => {
    await project.install("bernstein-plugin-fixture");
    const { report } = await load({ discover: true, plugins: ["npm:bernstein-plugin-fixture@^1"] });
    expect(report.loaded.map((l) => l.plugin.name)).toEqual(["npm-fixture"]);
  });

  it("does not load a discovered package the config turns off with enabled: false", async () => {
    await project.install("bernstein-plugin-fixture");
    await project.install("@acme/bernstein-audit-fixture");
    const { report } = await load({
      discover: true,
      plugins: [{ use: "bernstein-plugin-fixture", enabled: false }],
    });
    expect(report.errors).toEqual([]);
    expect(report.loaded.map((l) => l.plugin.name)).toEqual(["acme-audit"]);
  });

  it("finds nothing without discover: true", async () => {
    await project.install("bernstein-plugin-fixture");
    const { report } = await load({ plugins: [] });
    expect(report.loaded).toEqual([]);
  });
});

describe("bad plugins", () => {
  const cases: [string, () => string, RegExp | string][] = [
    [
      "an unknown scheme",
      () => "ftp://example.com/p.ts",
      'unsupported specifier "ftp://example.com/p.ts"; the accepted forms are ./relative',
    ],
    [
      "a missing file",
      () => "./nowhere.ts",
      /no such file ".*\/nowhere\.ts" \(paths are relative to the config file's folder\)$/,
    ],
    [
      "a syntax error",
      () => fixturePlugin("syntax-error.ts"),
      /cannot import it: .*(syntax-error\.ts|Expected|expected)/,
    ],
    [
      "no default export",
      () => fixturePlugin("no-default.ts"),
      'the module has no default export and no export named "plugin" (it exports "helper", "other"); write export default definePlugin({ ... })',
    ],
    [
      "a wrong export shape",
      () => fixturePlugin("wrong-shape.ts"),
      "hooks.onTaskCreated: expected a function, { handler, ...options } or { wrapper, ...options }, received a number",
    ],
    [
      "an unknown hook",
      () => fixturePlugin("unknown-hook.ts"),
      'hooks.onTaskCreatd: unknown hook; did you mean "onTaskCreated"?',
    ],
    [
      "a non-plugin export",
      () => fixturePlugin("not-a-plugin.ts"),
      "the export must be a plugin object or a factory, received a number",
    ],
    [
      "plain http to a remote host",
      () => "http://plugins.example.com/p.ts",
      'plain http: is refused for host "plugins.example.com"; use https:, or add "plugins.example.com" to allowHttpHosts in the config',
    ],
    [
      "a bare name with a range",
      () => "left-pad@1.0.0",
      'a bare package name cannot carry a version range; write "npm:left-pad@1.0.0"',
    ],
  ];
  for (const [what, specifier, message] of cases) {
    it(`reports ${what} with the specifier and the entry, and loads the rest`, async () => {
      const spec = specifier();
      const { manager, report, log } = await load({ plugins: [spec, fixturePlugin("named-export.ts")] });
      expect(report.errors).toHaveLength(1);
      const error = report.errors[0];
      expect(error).toBeInstanceOf(PluginLoadError);
      expect(error.specifier).toBe(spec);
      expect(error.entry).toMatch(/bernstein\.config\.json: plugins\[0\]$/);
      if (typeof message === "string") expect(error.message).toContain(message);
      else expect(error.message).toMatch(message);
      expect(manager.list().map((p) => p.name)).toEqual(["named-export"]);
      expect(log.at("error")).toEqual([error.message]);
    });
  }

  it("names the option path inside the config for invalid options", async () => {
    const { report } = await load({
      plugins: [[fixturePlugin("greeting-factory.ts"), { greeting: "", times: "2" }]],
    });
    expect(report.errors[0].message).toMatch(
      /\(.*bernstein\.config\.json: plugins\[0\]\): 2 problems\n {2}- plugins\[0\]\.options\.greeting: Invalid length: Expected !0 but received 0\n {2}- plugins\[0\]\.options\.times: Invalid type: Expected number but received "2"$/,
    );
  });

  it("refuses options for a plain plugin object", async () => {
    const { report } = await load({ plugins: [[fixturePlugin("named-export.ts"), { x: 1 }]] });
    expect(report.errors[0].message).toContain(
      "plugins[0].options: this plugin is a plain object and takes no options",
    );
  });

  it("fails the whole load in strict mode, listing every error", async () => {
    const error = await load({
      strict: true,
      plugins: ["./missing.ts", fixturePlugin("named-export.ts"), fixturePlugin("unknown-hook.ts")],
    }).then(() => undefined, (e) => e);
    expect(error).toBeInstanceOf(LoadFailedError);
    expect((error as LoadFailedError).errors.map((e) => e.entry.split(": ")[1])).toEqual([
      "plugins[0]",
      "plugins[2]",
    ]);
    expect(error.message.split("\n")[0]).toBe("Cannot load the configured plugins (strict mode): 2 failed");
  });

  it("reports without registering anything from loadPlugins alone", async () => {
    await project.write(
      "bernstein.config.json",
      jsonConfig({ plugins: [fixturePlugin("greeter.ts"), "./missing.ts"] }),
    );
    const report = await loadPlugins(await loadConfig(undefined, project.dir), { logger: recordingLogger() });
    expect(report.loaded.map((l) => l.plugin.name)).toEqual(["greeter"]);
    expect(report.errors.map((e) => e.specifier)).toEqual(["./missing.ts"]);
  });
});

describe("progress", () => {
  it("reports each plugin as it finishes loading, failures included", async () => {
    await project.write(
      "bernstein.config.json",
      jsonConfig({
        plugins: [fixturePlugin("greeter.ts"), "./missing.ts", fixturePlugin("named-export.ts")],
      }),
    );
    const seen: string[] = [];
    await loadPlugins(await loadConfig(undefined, project.dir), {
      logger: recordingLogger(),
      onProgress: (done, total, specifier) =>
        void seen.push(`${done}/${total} ${specifier.split("/").at(-1)}`),
    });
    expect(seen.map((s) => s.split(" ")[0])).toEqual(["1/3", "2/3", "3/3"]);
    expect(seen.map((s) => s.split(" ")[1]).sort()).toEqual(["greeter.ts", "missing.ts", "named-export.ts"]);
  });
});
