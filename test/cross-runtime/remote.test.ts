// The same remote-loading scenarios on real Node and real Deno, against a fake JSR
// registry and a module host on 127.0.0.1, with identical outcomes.
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixturePlugin, type TempProject, tempProject } from "../_project.ts";
import {
  type HostedFile,
  type JsrPackages,
  startJsrRegistry,
  startModuleHost,
  type TestServer,
} from "../_servers.ts";
import { type Report, runReport, RUNTIMES } from "./_run.ts";
import { REPO as REPO_ROOT, runCli } from "./_cli.ts";

const PLUGIN = (name: string, from: string) =>
  `import { who } from "${from}";\nexport default {\n  name: "${name}",\n  hooks: { onAgentSpawned: ({ agentId }: { agentId: string }) => \`${name}:\${who}:\${agentId}\` },\n};\n`;

const packages: JsrPackages = {
  "@acme/greet": {
    "1.0.0": {
      files: { "/mod.ts": PLUGIN("greet-old", "./who.ts"), "/who.ts": `export const who = "v1.0";` },
    },
    "1.2.0": {
      files: {
        "/mod.ts": PLUGIN("greet", "./lib/who.ts"),
        "/lib/who.ts": `export const who: string = "jsr";`,
      },
    },
    "1.3.0": {
      files: { "/mod.ts": PLUGIN("greet-yanked", "./who.ts"), "/who.ts": `export const who = "x";` },
      yanked: true,
    },
    "2.0.0": { files: { "/mod.ts": PLUGIN("greet-two", "./who.ts"), "/who.ts": `export const who = "v2";` } },
  },
  "@acme/util": { "1.1.0": { files: { "/mod.ts": `export const who: string = "util";` } } },
  "@acme/chain": { "0.3.0": { files: { "/mod.ts": PLUGIN("chain", "jsr:@acme/util@^1") } } },
};
const files: Record<string, HostedFile> = {
  "/plugins/url.ts": { body: PLUGIN("url-plugin", "./dep.ts") },
  "/plugins/dep.ts": { body: `export const who: string = "url";` },
  "/image.ts": { body: "not a module", type: "image/png" },
  "/latest/plugin.ts": { body: "", redirect: "/v2/plugin.ts" },
  "/v2/plugin.ts": { body: PLUGIN("moved", "./who.ts") },
  "/v2/who.ts": { body: `export const who: string = "v2";` },
  "/latest/who.ts": { body: `export const who: string = "stale";` },
  "/plugins/uses-npm.ts": {
    body:
      `import fixture from "npm:bernstein-plugin-fixture@^1";\nexport default { name: "uses-npm", hooks: { onAgentSpawned: () => "via npm: " + fixture.name } };\n`,
  },
  "/plugins/wants-npm-2.ts": {
    body:
      `import fixture from "npm:bernstein-plugin-fixture@^2";\nexport default { name: "wants-2", hooks: {}, fixture };\n`,
  },
};

let jsr: TestServer & { tamper(path: string, body: string): void };
let host: TestServer;
let project: TempProject;
beforeAll(async () => {
  jsr = await startJsrRegistry(packages);
  host = await startModuleHost(files);
  files["/redirect.ts"] = {
    body: "",
    redirect: `${host.url.replace("127.0.0.1", "localhost")}/plugins/url.ts`,
  };
});
afterAll(async () => {
  await jsr.close();
  await host.close();
});
beforeEach(async () => {
  project = await tempProject();
  await project.install("bernstein-plugin-fixture");
  jsr.requests.length = 0;
  host.requests.length = 0;
});
afterEach(() => project.remove());

const env = () => ({ JSR_URL: jsr.url });
async function config(plugins: unknown[], extra: Record<string, unknown> = {}) {
  await project.write("bernstein.config.json", JSON.stringify({ plugins, ...extra }, null, 2));
}
function names(report: Report) {
  return {
    loaded: report.loaded?.map((l) => l.name),
    failed: report.errors?.length ?? 0,
    fatal: report.fatal,
  };
}

describe("remote plugins on Node and Deno", () => {
  it("load a local, an npm, a jsr: (range, relative import) and a URL plugin the same way", async () => {
    await config([
      fixturePlugin("greeter.ts"),
      "npm:bernstein-plugin-fixture@^1",
      "jsr:@acme/greet@^1",
      `${host.url}/plugins/url.ts`,
    ]);
    const outcomes: Report[] = [];
    for (const runtime of RUNTIMES) {
      await rm(join(project.dir, "deno.lock"), { force: true });
      outcomes.push(await runReport(runtime, { dir: project.dir, env: env() }));
    }
    for (const report of outcomes) {
      expect(report.errors).toEqual([]);
      expect(report.loaded?.map((l) => [l.name, l.version ?? null])).toEqual([
        ["greeter", null],
        ["npm-fixture", "1.4.0"],
        ["greet", null],
        ["url-plugin", null],
      ]);
      expect(report.results).toEqual([
        "greeter greets a1",
        "npm-fixture saw a1",
        "greet:jsr:a1",
        "url-plugin:url:a1",
      ]);
    }
  });

  it("write the same lock entries, and each runtime verifies the other's lock", async () => {
    await config(["jsr:@acme/greet@^1.2", `${host.url}/plugins/url.ts`]);
    const locks: Record<string, unknown> = {};
    for (const runtime of RUNTIMES) {
      await rm(join(project.dir, "deno.lock"), { force: true });
      await rm(join(project.dir, ".bernstein"), { recursive: true, force: true });
      expect(names(await runReport(runtime, { dir: project.dir, env: env() })).failed).toBe(0);
      const lock = JSON.parse(await readFile(join(project.dir, "deno.lock"), "utf8"));
      delete lock.workspace; // Deno's record of its own config, not of the plugins
      locks[runtime] = lock;
    }
    expect(locks.node).toEqual(locks.deno);
    expect(locks.node).toMatchObject({
      version: "5",
      specifiers: { "jsr:@acme/greet@^1.2.0": "1.2.0" },
      remote: { [`${host.url}/plugins/url.ts`]: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    // The lock Deno wrote last now verifies on Node in frozen mode, and vice versa below.
    await config(["jsr:@acme/greet@^1.2", `${host.url}/plugins/url.ts`], { lock: { frozen: true } });
    await rm(join(project.dir, ".bernstein"), { recursive: true, force: true });
    expect(names(await runReport("node", { dir: project.dir, env: env() }))).toEqual({
      loaded: ["greet", "url-plugin"],
      failed: 0,
      fatal: undefined,
    });
    await rm(join(project.dir, ".deno-dir"), { recursive: true, force: true });
    expect(names(await runReport("deno", { dir: project.dir, env: env(), frozen: true }))).toEqual({
      loaded: ["greet", "url-plugin"],
      failed: 0,
      fatal: undefined,
    });
  });

  it("agree on packages that import packages and on same-host redirects, and verify each other's locks frozen", async () => {
    // Deno first, with one plugin: the lock gets Deno's own "workspace" section, which Node keeps.
    await config(["jsr:@acme/greet@1.2.0"]);
    await runReport("deno", { dir: project.dir, env: env() });
    await config(["jsr:@acme/greet@1.2.0", "jsr:@acme/chain@^0.3", `${host.url}/latest/plugin.ts`]);
    const node = await runReport("node", { dir: project.dir, env: env() });
    expect(node.results).toEqual(["greet:jsr:a1", "chain:util:a1", "moved:v2:a1"]);
    const written = JSON.parse(await readFile(join(project.dir, "deno.lock"), "utf8"));
    expect(written.jsr["@acme/chain@0.3.0"].dependencies).toEqual(["jsr:@acme/util"]);
    expect(written.redirects).toEqual({ [`${host.url}/latest/plugin.ts`]: `${host.url}/v2/plugin.ts` });
    // Deno, frozen, with a fresh cache: Node's lock must be complete and right.
    const deno = await runReport("deno", { dir: project.dir, env: env(), frozen: true });
    expect({ errors: deno.errors, results: deno.results, crash: deno.crash?.stderr }).toEqual({
      errors: [],
      results: ["greet:jsr:a1", "chain:util:a1", "moved:v2:a1"],
      crash: undefined,
    });
    const after = JSON.parse(await readFile(join(project.dir, "deno.lock"), "utf8"));
    expect(after).toEqual(written);
  });

  it("make no network request at all on a second run with the cache and lock in place", async () => {
    await config(["jsr:@acme/greet@^1", `${host.url}/plugins/url.ts`]);
    for (const runtime of RUNTIMES) {
      await rm(join(project.dir, "deno.lock"), { force: true });
      await runReport(runtime, { dir: project.dir, env: env() });
      expect(jsr.requests.length + host.requests.length).toBeGreaterThan(0);
      jsr.requests.length = 0;
      host.requests.length = 0;
      const second = await runReport(runtime, { dir: project.dir, env: env() });
      expect(names(second).loaded).toEqual(["greet", "url-plugin"]);
      expect([runtime, ...jsr.requests, ...host.requests]).toEqual([runtime]);
    }
  });

  it("refuse a changed remote module, naming the URL", async () => {
    await config([`${host.url}/plugins/url.ts`]);
    await runReport("node", { dir: project.dir, env: env() });
    const original = files["/plugins/url.ts"].body;
    files["/plugins/url.ts"].body = original.replace("url-plugin", "evil-plugin");
    try {
      await rm(join(project.dir, ".bernstein"), { recursive: true, force: true });
      const node = await runReport("node", { dir: project.dir, env: env() });
      expect(names(node)).toEqual({ loaded: [], failed: 1, fatal: undefined });
      expect(node.errors![0]).toMatch(
        new RegExp(
          `integrity check failed for ${host.url}/plugins/url.ts: the lockfile .* has [0-9a-f]{64}, the module is [0-9a-f]{64}`,
        ),
      );
      // Deno checks the lock itself and ends the process on a mismatch, naming the URL and both hashes.
      const deno = await runReport("deno", { dir: project.dir, env: env() });
      expect(deno.crash?.code).not.toBe(0);
      expect(deno.crash?.stderr).toContain(`${host.url}/plugins/url.ts`);
      expect(deno.crash?.stderr).toMatch(
        /Integrity check failed[\s\S]*Actual: [0-9a-f]{64}[\s\S]*Expected: [0-9a-f]{64}/,
      );
    } finally {
      files["/plugins/url.ts"].body = original;
    }
  });

  it("keep nothing a check refused: once the server is right again, the plugin loads", async () => {
    await config([`${host.url}/plugins/url.ts`]);
    expect(names(await runReport("node", { dir: project.dir, env: env() })).loaded).toEqual(["url-plugin"]);
    const original = files["/plugins/dep.ts"].body;
    files["/plugins/dep.ts"].body = `export const who: string = "changed";`;
    try {
      await rm(join(project.dir, ".bernstein"), { recursive: true, force: true });
      const refused = await runReport("node", { dir: project.dir, env: env() });
      expect(refused.errors![0]).toContain(`integrity check failed for ${host.url}/plugins/dep.ts`);
    } finally {
      files["/plugins/dep.ts"].body = original;
    }
    const again = await runReport("node", { dir: project.dir, env: env() });
    expect([again.errors, again.results]).toEqual([[], ["url-plugin:url:a1"]]);
  });

  it("fetch again a cached module older than the lock, and load it when the network matches the lock", async () => {
    await config([`${host.url}/plugins/url.ts`]);
    await runReport("node", { dir: project.dir, env: env() });
    const lockPath = join(project.dir, "deno.lock");
    const before = await readFile(lockPath, "utf8");
    const original = files["/plugins/dep.ts"].body;
    try {
      // Someone else updates the module and the lock; this cache still holds the old module.
      files["/plugins/dep.ts"].body = `export const who: string = "updated";`;
      const lock = JSON.parse(before);
      const { createHash } = await import("node:crypto");
      lock.remote[`${host.url}/plugins/dep.ts`] = createHash("sha256").update(files["/plugins/dep.ts"].body)
        .digest("hex");
      await writeFile(lockPath, JSON.stringify(lock, null, 2));
      const report = await runReport("node", { dir: project.dir, env: env() });
      expect([report.errors, report.results]).toEqual([[], ["url-plugin:updated:a1"]]);
    } finally {
      files["/plugins/dep.ts"].body = original;
    }
  });

  it("refuse a JSR file that does not match its manifest checksum", async () => {
    await config(["jsr:@acme/greet@1.2.0"]);
    jsr.tamper("/@acme/greet/1.2.0/lib/who.ts", `export const who: string = "tampered";`);
    try {
      const node = await runReport("node", { dir: project.dir, env: env() });
      expect(names(node)).toEqual({ loaded: [], failed: 1, fatal: undefined });
      expect(node.errors![0]).toMatch(
        /checksum mismatch for http:.*\/@acme\/greet\/1\.2\.0\/lib\/who\.ts: the package manifest says sha256-[0-9a-f]{64}, the file is sha256-[0-9a-f]{64}/,
      );
      const deno = await runReport("deno", { dir: project.dir, env: env() });
      expect(deno.crash?.stderr).toMatch(
        /Integrity check failed in package[\s\S]*\/@acme\/greet\/1\.2\.0\/lib\/who\.ts/,
      );
    } finally {
      jsr.tamper("/@acme/greet/1.2.0/lib/who.ts", packages["@acme/greet"]["1.2.0"].files["/lib/who.ts"]);
    }
  });

  it("refuse a JSR version whose metadata changed since the lock was written", async () => {
    await config(["jsr:@acme/greet@1.2.0"]);
    await runReport("node", { dir: project.dir, env: env() });
    await runReport("deno", { dir: project.dir, env: env() });
    const version = packages["@acme/greet"]["1.2.0"];
    const original = version.files["/lib/who.ts"];
    version.files["/lib/who.ts"] = `export const who: string = "republished";`; // the manifest follows the change
    try {
      await rm(join(project.dir, ".bernstein"), { recursive: true, force: true });
      const node = await runReport("node", { dir: project.dir, env: env() });
      expect(names(node)).toEqual({ loaded: [], failed: 1, fatal: undefined });
      expect(node.errors![0]).toMatch(
        /integrity check failed for http:.*\/@acme\/greet\/1\.2\.0_meta\.json: the lockfile .* has [0-9a-f]{64}, the registry sent [0-9a-f]{64}/,
      );
      await rm(join(project.dir, ".deno-dir"), { recursive: true, force: true });
      const deno = await runReport("deno", { dir: project.dir, env: env() });
      const text = deno.crash?.stderr ?? deno.errors?.join("\n") ?? "";
      expect(deno.loaded ?? []).toEqual([]);
      expect(text).toMatch(/[Ii]ntegrity check failed[\s\S]*@acme\/greet@1\.2\.0/);
    } finally {
      version.files["/lib/who.ts"] = original;
    }
  });

  it("resolve npm: imports inside remote modules from the project's node_modules, checking the range", async () => {
    await config([`${host.url}/plugins/uses-npm.ts`, `${host.url}/plugins/wants-npm-2.ts`]);
    const node = await runReport("node", { dir: project.dir, env: env() });
    expect(names(node)).toEqual({ loaded: ["uses-npm"], failed: 1, fatal: undefined });
    expect(node.results).toEqual(["via npm: npm-fixture"]);
    expect(node.errors![0]).toContain(
      "installed bernstein-plugin-fixture@1.4.0 does not satisfy ^2: run npm install bernstein-plugin-fixture@^2",
    );
  });

  it("refuse in frozen mode anything not already in the lock", async () => {
    await config(["jsr:@acme/greet@^1"]);
    await runReport("node", { dir: project.dir, env: env() });
    await runReport("deno", { dir: project.dir, env: env() }); // adds Deno's own "workspace" section
    await config(["jsr:@acme/greet@^1", `${host.url}/plugins/url.ts`], { lock: { frozen: true } });
    const node = await runReport("node", { dir: project.dir, env: env() });
    expect(names(node)).toEqual({ loaded: ["greet"], failed: 1, fatal: undefined });
    expect(node.errors![0]).toContain(`${host.url}/plugins/url.ts is not in the lockfile`);
    const deno = await runReport("deno", { dir: project.dir, env: env(), frozen: true });
    // Deno refuses through its own --frozen lock check: that plugin's import fails.
    expect(names(deno)).toEqual({ loaded: ["greet"], failed: 1, fatal: undefined });
    expect(deno.errors![0]).toMatch(/The lockfile is out of date/);
    expect(deno.errors![0]).toContain(`Cannot load plugin "${host.url}/plugins/url.ts"`);
  });
});

describe("bernstein cache on Node and Deno", () => {
  it("fetches remote plugins and writes the lock, so that a frozen run needs no network", async () => {
    await config(["jsr:@acme/greet@^1", `${host.url}/plugins/url.ts`]);
    await project.write(
      "events.jsonl",
      JSON.stringify({ hook: "onAgentDied", args: { agentId: "a", reason: "r" } }),
    );
    for (const runtime of RUNTIMES) {
      await rm(join(project.dir, "deno.lock"), { force: true });
      const denoFlags = [`--lock=${join(project.dir, "deno.lock")}`];
      const cwdEnv = {
        cwd: project.dir,
        env: { ...env(), DENO_DIR: join(project.dir, ".deno-dir") },
        denoFlags,
      };
      const cached = await runCli(runtime, ["cache"], cwdEnv);
      expect([runtime, cached.code]).toEqual([runtime, 0]);
      expect(cached.stdout).toContain("cached  jsr:@acme/greet@^1\n");
      expect(cached.stdout).toContain(`cached  ${host.url}/plugins/url.ts\n`);
      const lock = JSON.parse(await readFile(join(project.dir, "deno.lock"), "utf8"));
      expect(lock.specifiers).toEqual({ "jsr:@acme/greet@1": "1.2.0" });
      jsr.requests.length = 0;
      host.requests.length = 0;
      const frozen = await runCli(runtime, ["run", "--frozen", "--events", "events.jsonl"], {
        ...cwdEnv,
        denoFlags: [...denoFlags, "--frozen"],
      });
      expect([runtime, frozen.code, frozen.stderr]).toEqual([runtime, 0, ""]);
      expect(frozen.stdout).toContain("1 of 1 events delivered from events.jsonl; 2 plugin(s)");
      expect([...jsr.requests, ...host.requests]).toEqual([]);
    }
  });
});

describe("integrity (SRI) on config entries, on Node and Deno", () => {
  it("loads a module that matches and refuses one that does not", async () => {
    const { createHash } = await import("node:crypto");
    const body = files["/plugins/url.ts"].body;
    const good = `sha384-${createHash("sha384").update(body).digest("base64")}`;
    const bad = `sha384-${createHash("sha384").update("something else").digest("base64")}`;
    for (const [integrity, loaded] of [[good, ["url-plugin"]], [bad, []]] as const) {
      await config([{ use: `${host.url}/plugins/url.ts`, integrity }]);
      for (const runtime of RUNTIMES) {
        await rm(join(project.dir, "deno.lock"), { force: true });
        const report = await runReport(runtime, { dir: project.dir, env: env() });
        expect({ runtime, loaded: report.loaded?.map((l) => l.name), errors: report.errors }).toMatchObject({
          loaded,
        });
        if (integrity === bad) {
          expect(report.errors![0]).toContain(
            `${host.url}/plugins/url.ts does not match its integrity: the config says ${bad}, the module is ${good}`,
          );
        }
      }
    }
  });
});

describe("integrity (SRI) on a jsr: entry, on Node and Deno", () => {
  it("is checked however the specifier is spelt", async () => {
    const { createHash } = await import("node:crypto");
    const bad = `sha384-${createHash("sha384").update("something else").digest("base64")}`;
    for (const use of ["jsr:@acme/greet@1.2.0", " jsr:/@acme/greet@1.2.0 "]) {
      await config([{ use, integrity: bad }]);
      for (const runtime of RUNTIMES) {
        await rm(join(project.dir, "deno.lock"), { force: true });
        const report = await runReport(runtime, { dir: project.dir, env: env() });
        expect([runtime, use, report.loaded]).toEqual([runtime, use, []]);
        expect(report.errors![0]).toContain("does not match its integrity");
      }
    }
  });
});

describe("bad remote plugins on Node and Deno", () => {
  const cases: [string, () => string, RegExp, RegExp][] = [
    ["a 404", () => `${host.url}/missing.ts`, /answered HTTP 404/, /not found|404/i],
    [
      "a server that is down",
      () => "http://127.0.0.1:9/p.ts",
      /cannot reach http:\/\/127\.0\.0\.1:9/,
      /refused|connect/i,
    ],
    [
      "a redirect to another host",
      () => `${host.url}/redirect.ts`,
      /redirects to http:\/\/localhost:\d+\/plugins\/url\.ts, on another host/,
      /localhost/,
    ],
    [
      "an unknown content type",
      () => `${host.url}/image.ts`,
      /served as "image\/png", which is not a module type/,
      /Expected|image/,
    ],
    [
      "no version satisfying the range",
      () => "jsr:@acme/greet@^3",
      /no version of @acme\/greet satisfies \^3; the registry has 1\.0\.0, 1\.2\.0, 2\.0\.0/,
      /@acme\/greet/,
    ],
  ];
  for (const [what, specifier, nodeMessage, denoMessage] of cases) {
    it(`report ${what}, and load the rest`, async () => {
      await config([specifier(), fixturePlugin("named-export.ts")]);
      for (const runtime of RUNTIMES) {
        const report = await runReport(runtime, { dir: project.dir, env: env() });
        expect(names(report)).toEqual({ loaded: ["named-export"], failed: 1, fatal: undefined });
        expect(report.errors![0]).toContain(`Cannot load plugin "${specifier()}"`);
        expect(report.errors![0]).toMatch(runtime === "node" ? nodeMessage : denoMessage);
      }
    });
  }
});

describe("process exit on Node and Deno", () => {
  it("is not held open by the deadline timers once asynchronous calls have settled", async () => {
    const { spawnSync } = await import("node:child_process");
    const script = join(REPO_ROOT, "test", "fixtures", "scripts", "one-async-call.ts");
    for (
      const [command, args] of [
        ["node", ["--import", "tsx", script]],
        [join(REPO_ROOT, "node_modules", ".bin", "deno"), ["run", "-q", "-A", script]],
      ] as const
    ) {
      const started = performance.now();
      const run = spawnSync(command, [...args], { cwd: REPO_ROOT, encoding: "utf8" });
      const ms = performance.now() - started;
      expect(run.stdout.trim()).toBe('["done"]');
      // A held timer would keep it alive for a tick: 37.5 s with this deadline.
      expect(ms).toBeLessThan(10_000);
    }
  });
});
