// The bernstein command end to end, spawned on real Node and real Deno, with
// fixture configs: each command, event replay, exit codes, --json, and the bundled
// plugins' effects (the audit file, the requests a webhook receiver got).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type TempProject, tempProject } from "../_project.ts";
import { type ReceivedRequest, startReceiver, type TestServer } from "../_servers.ts";
import { type CliResult, REPO, runCli } from "./_cli.ts";
import { RUNTIMES } from "./_run.ts";

let project: TempProject;
let receiver: (TestServer & { received: ReceivedRequest[] }) | undefined;
beforeEach(async () => void (project = await tempProject()));
afterEach(async () => {
  await project.remove();
  await receiver?.close();
  receiver = undefined;
});

const plugin = (name: string) => JSON.stringify(join(REPO, "plugins", `${name}.ts`));
const both = async (args: string[], options: Parameters<typeof runCli>[2] = {}) => {
  const results: Record<string, CliResult> = {};
  for (const runtime of RUNTIMES) results[runtime] = await runCli(runtime, args, options);
  return results as Record<(typeof RUNTIMES)[number], CliResult>;
};
/** Latencies differ between runs; the rest of the output must not. */
/**
 * Output with timings blanked out. Spaces are collapsed too: a slow run widens a column
 * (`12.34` against `5.99`) and so shifts the padding of the whole table.
 */
const stable = (text: string) => text.replace(/\d+\.\d\d/g, "#.##").replace(/ +/g, " ");

describe("bernstein on Node and Deno", () => {
  it("prints the same help and version, with exit code 0", async () => {
    for (
      const args of [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["plugins", "--help"],
        ["hooks", "--help"],
        [
          "cache",
          "--help",
        ],
        ["new", "--help"],
      ]
    ) {
      const { node, deno } = await both(args);
      expect([args, node.code, deno.code]).toEqual([args, 0, 0]);
      expect(deno.stdout).toBe(node.stdout);
      expect(node.stdout.length).toBeGreaterThan(5);
    }
    const { node } = await both(["--version"]);
    expect(node.stdout.trim()).toBe(JSON.parse(await readFile(join(REPO, "package.json"), "utf8")).version);
  });

  it("exits with 2 and points at help for usage errors", async () => {
    for (
      const [args, message] of [
        [["launch"], 'error: unknown command "launch"\nRun "bernstein --help" for usage.\n'],
        [
          ["plgins"],
          'error: unknown command "plgins"; did you mean "plugins"?\nRun "bernstein --help" for usage.\n',
        ],
        [
          ["--hlep"],
          'error: unknown option "--hlep"; did you mean "--help"?\nRun "bernstein --help" for usage.\n',
        ],
        [
          ["plugins", "list", "extra"],
          'error: unexpected argument "extra"\nRun "bernstein plugins --help" for usage.\n',
        ],
        [
          ["plugins", "chek"],
          'error: unknown subcommand "chek"; did you mean "check"?\nRun "bernstein plugins --help" for usage.\n',
        ],
        [
          ["run", "--evnts", "x"],
          'error: unknown option "--evnts"; did you mean "--events"?\nRun "bernstein run --help" for usage.\n',
        ],
        [
          ["plugins", "show"],
          'error: unknown subcommand "show"\nRun "bernstein plugins --help" for usage.\n',
        ],
        [
          ["new", "plugin", "Bad_Name"],
          'error: "Bad_Name" is not a valid plugin name; use lower case letters, digits and dashes\nRun "bernstein new --help" for usage.\n',
        ],
      ] as const
    ) {
      const { node, deno } = await both([...args], { cwd: project.dir });
      expect([node.code, deno.code]).toEqual([2, 2]);
      expect(node.stderr).toBe(message);
      expect(deno.stderr).toBe(message);
    }
  });

  it("replays events, reports bad lines by number, still delivers the rest, and exits 1", async () => {
    receiver = await startReceiver();
    await project.write(
      "bernstein.config.json",
      JSON.stringify({
        plugins: [
          [JSON.parse(plugin("console-reporter")), { color: false }],
          [JSON.parse(plugin("audit-log")), { path: "logs/audit.jsonl" }],
          [JSON.parse(plugin("webhook-notifier")), { url: `${receiver.url}/hook`, backoffMs: 1 }],
          { use: "./not-today.ts", enabled: false },
        ],
      }),
    );
    const task = {
      id: "T-1",
      title: "Fix login",
      description: "",
      role: "backend",
      priority: 1,
      status: "failed",
      dependsOn: [],
      createdAt: 0,
      metadata: {},
    };
    const events = [
      JSON.stringify({ hook: "onAgentSpawned", args: { agentId: "a1", role: "backend", adapter: "codex" } }),
      "this is not json",
      JSON.stringify({ hook: "onTaskFaild", args: { task, error: "x" } }),
      JSON.stringify({ hook: "onTaskFailed", args: { task, error: "tests failed" } }),
      "",
      JSON.stringify({ hook: "onCostThreshold", args: { totalUsd: -1, thresholdUsd: 5 } }),
    ].join("\n");
    await project.write("events.jsonl", events);
    for (const runtime of RUNTIMES) {
      const result = await runCli(runtime, ["run", "--events", "events.jsonl"], { cwd: project.dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("error: events.jsonl line 2: not JSON: ");
      expect(result.stderr).toContain(
        'error: events.jsonl line 3: Cannot call hook "onTaskFaild": no such hook is specified; did you mean "onTaskFailed"?',
      );
      expect(result.stderr).toContain(
        'error: events.jsonl line 6: Invalid arguments for hook "onCostThreshold": totalUsd: Invalid value: Expected >=0 but received -1',
      );
      expect(result.stdout).toContain("agent spawned  a1 as backend via codex\n");
      expect(result.stdout).toContain('task failed    T-1 "Fix login": tests failed\n');
      expect(result.stdout).toContain(
        "2 of 5 events delivered from events.jsonl, 3 rejected; 3 plugin(s) (1 disabled in the config), 0 isolated failure(s)",
      );
      expect(result.stdout).toMatch(
        /plugin\s+calls\s+errors\s+timeouts\s+p50 ms\s+max ms\nconsole-reporter\s+2\s+0\s+0/,
      );
    }
    const audit = (await readFile(join(project.dir, "logs", "audit.jsonl"), "utf8")).trim().split("\n").map((
      l,
    ) => JSON.parse(l));
    expect(audit.map((e) => e.hook)).toEqual([
      "onAgentSpawned",
      "onTaskFailed",
      "onAgentSpawned",
      "onTaskFailed",
    ]);
    expect(receiver.received.map((r) => JSON.parse(r.body).text)).toEqual([
      ':x: Task *T-1* "Fix login" failed: tests failed',
      ':x: Task *T-1* "Fix login" failed: tests failed',
    ]);
  });

  it("reads events from standard input and gives a --json summary", async () => {
    await project.write(
      "bernstein.config.json",
      JSON.stringify({ plugins: [[JSON.parse(plugin("console-reporter")), {}]] }),
    );
    const stdin = JSON.stringify({ hook: "onAgentDied", args: { agentId: "a1", reason: "oom" } }) + "\n";
    const { node, deno } = await both(["run", "--events", "-", "--json"], { cwd: project.dir, stdin });
    for (const result of [node, deno]) {
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary.events).toEqual({ source: "stdin", delivered: 1, rejected: [] });
      expect(summary.plugins).toEqual([
        expect.objectContaining({
          name: "console-reporter",
          calls: 1,
          errors: 0,
          timeouts: 0,
          suspended: false,
        }),
      ]);
      expect(summary.loadErrors).toEqual([]);
      // Human output moves to standard error under --json.
      expect(result.stderr).toContain("agent died     a1: oom");
    }
  });

  it("runs the built-in demo, firing every hook, and prints the same summary on both", async () => {
    await project.write(
      "bernstein.config.json",
      JSON.stringify({ plugins: [[JSON.parse(plugin("console-reporter")), {}]] }),
    );
    const { node, deno } = await both(["run"], { cwd: project.dir });
    expect([node.code, deno.code]).toEqual([0, 0]);
    expect(stable(deno.stdout)).toBe(stable(node.stdout));
    expect(node.stdout).toContain("13 of 13 events delivered from demo");
  });

  it("lists and checks plugins, reporting every problem at once and every disabled entry", async () => {
    await project.write(
      "bernstein.config.json",
      JSON.stringify({
        plugins: [
          JSON.parse(plugin("console-reporter")),
          "./missing.ts",
          join(REPO, "test", "fixtures", "plugins", "unknown-hook.ts"),
          [join(REPO, "test", "fixtures", "plugins", "greeting-factory.ts"), { greeting: 5 }],
          { use: "./switched-off.ts", enabled: false },
        ],
      }),
    );
    const { node, deno } = await both(["plugins", "check"], { cwd: project.dir });
    expect([node.code, deno.code]).toEqual([1, 1]);
    expect(deno.stdout).toBe(node.stdout);
    expect(node.stdout).toContain("ok    console-reporter (");
    expect(node.stdout).toContain(
      'fail  Cannot load plugin "./missing.ts" (bernstein.config.json: plugins[1]): no such file',
    );
    expect(node.stdout).toContain('hooks.onTaskCreatd: unknown hook; did you mean "onTaskCreated"?');
    expect(node.stdout).toContain(
      "plugins[3].options.greeting: Invalid type: Expected string but received 5",
    );
    expect(node.stdout).toContain(
      "off   ./switched-off.ts (enabled: false at bernstein.config.json: plugins[4]; not checked)",
    );
    expect(node.stdout).toContain("1 plugin(s) ok, 3 with problems, 1 disabled");
    const list = await both(["plugins", "list", "--json"], { cwd: project.dir });
    for (const result of [list.node, list.deno]) {
      expect(result.code).toBe(1);
      const data = JSON.parse(result.stdout);
      expect(data.plugins).toEqual([{
        name: "console-reporter",
        version: "0.1.0",
        specifier: join(REPO, "plugins", "console-reporter.ts"),
        resolved: `file://${join(REPO, "plugins", "console-reporter.ts")}`,
        hooks: expect.arrayContaining(["onTaskCreated", "onQualityGateFailure"]),
      }]);
      expect(data.errors).toHaveLength(3);
      expect(data.disabled).toEqual([
        { name: null, specifier: "./switched-off.ts", entry: "bernstein.config.json: plugins[4]" },
      ]);
    }
  });

  it("prints the hook contract and its JSON Schema", async () => {
    const { node, deno } = await both(["hooks"]);
    expect(deno.stdout).toBe(node.stdout);
    expect(node.stdout).toContain("onTaskClaimed({ task: Task, agentId: string })  ADR-007: on_task_claimed");
    const schema = await both(["hooks", "--json-schema"]);
    expect(schema.deno.stdout).toBe(schema.node.stdout);
    const parsed = JSON.parse(schema.node.stdout);
    expect(Object.keys(parsed.hooks)).toHaveLength(8);
    expect(parsed.hooks.onCostThreshold.arguments).toMatchObject({
      type: "object",
      required: ["totalUsd", "thresholdUsd"],
      properties: { totalUsd: { type: "number", minimum: 0 } },
    });
  });

  it("writes a new plugin and a test that passes as written, on both runtimes", async () => {
    // Inside the repo, so that the generated files resolve the library's dependencies.
    const dir = join(REPO, "test", "generated", `new-${Date.now()}`);
    try {
      const created = await runCli("node", ["new", "plugin", "slack-digest", "--dir", dir]);
      expect(created.code).toBe(0);
      expect(created.stdout).toContain("created ");
      const again = await runCli("deno", ["new", "plugin", "slack-digest", "--dir", dir]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("slack-digest.ts already exists; choose another name or remove it");
      const { spawnSync } = await import("node:child_process");
      const onNode = spawnSync("node", [
        "--import",
        "tsx",
        "--test",
        "--test-reporter=tap",
        join(dir, "slack-digest.test.ts"),
      ], {
        cwd: REPO,
        encoding: "utf8",
      });
      expect(onNode.stdout).toMatch(/# pass 1\n# fail 0/);
      const onDeno = spawnSync(join(REPO, "node_modules", ".bin", "deno"), [
        "test",
        "--allow-read",
        "--allow-env",
        join(dir, "slack-digest.test.ts"),
      ], { cwd: REPO, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
      expect(onDeno.stdout).toMatch(/ok \| 1 passed \| 0 failed/);
    } finally {
      await (await import("node:fs/promises")).rm(dir, { recursive: true, force: true });
    }
  });

  it("loads a TypeScript config and plugin in a project that is not an ES module package", async () => {
    await project.write("package.json", JSON.stringify({ name: "commonjs-project", version: "1.0.0" }));
    await project.write(
      "bernstein.config.ts",
      `export default { plugins: ["./local.ts", ${plugin("console-reporter")}] };\n`,
    );
    await project.write(
      "local.ts",
      `export default { name: "local", hooks: { onAgentDied: () => "local ok" } };\n`,
    );
    const { node, deno } = await both(["plugins", "check"], { cwd: project.dir });
    expect([node.code, deno.code, node.stderr, deno.stderr]).toEqual([0, 0, "", ""]);
    expect(node.stdout).toContain("ok    local (./local.ts)");
    expect(deno.stdout).toBe(node.stdout);
  });

  it("loads TypeScript plugins on Node that import JSON with attributes and a .tsx file as .js", async () => {
    await project.write("data.json", JSON.stringify({ greeting: "hello" }));
    await project.write("label.tsx", `export const label = (name: string): string => \`<\${name}>\`;\n`);
    await project.write(
      "plugin.ts",
      `import data from "./data.json" with { type: "json" };\nimport { label } from "./label.js";\n` +
        `export default { name: label(data.greeting), hooks: {} };\n`,
    );
    await project.write("bernstein.config.ts", `export default { plugins: ["./plugin.ts"] };\n`);
    const node = await runCli("node", ["plugins", "check"], { cwd: project.dir });
    expect([node.code, node.stderr]).toEqual([0, ""]);
    expect(node.stdout).toContain("ok    <hello> (./plugin.ts)");
  });

  it("points stack traces of a TypeScript plugin at its TypeScript lines on Node", async () => {
    const { spawnSync } = await import("node:child_process");
    await project.write(
      "thrower.ts",
      `interface Unused { a: string }\ntype Also = Unused;\n\nexport function boom(): never {\n  throw new Error("boom");\n}\n`,
    );
    await project.write(
      "host.ts",
      `import { boom } from "./thrower.ts";\ntry { boom(); } catch (e) { console.log((e as Error).stack); }\n`,
    );
    const run = spawnSync("node", ["--import", join(REPO, "bin", "register.mjs"), "host.ts"], {
      cwd: project.dir,
      encoding: "utf8",
    });
    expect(run.stdout).toMatch(/thrower\.ts:5:9/);
  });

  it("serves another project that installed it: its register entry, and new plugins that import it by name", async () => {
    const { spawnSync } = await import("node:child_process");
    const { mkdir, readFile, symlink } = await import("node:fs/promises");
    // As `npm install ../bernstein-plugins` leaves it: a link in node_modules.
    await mkdir(join(project.dir, "node_modules"), { recursive: true });
    await symlink(REPO, join(project.dir, "node_modules", "bernstein-plugins"), "dir");
    await project.write("package.json", JSON.stringify({ name: "host", type: "module" }));
    const created = await runCli("node", ["new", "plugin", "greeter"], { cwd: project.dir });
    expect(created.code).toBe(0);
    const plugin = await readFile(join(project.dir, "plugins", "greeter.ts"), "utf8");
    expect(plugin).toContain(`import { definePlugin, v } from "bernstein-plugins";`);
    await project.write(
      "host.ts",
      `import { PluginManager } from "bernstein-plugins";\nimport greeter from "./plugins/greeter.ts";\n` +
        `const m = new PluginManager();\nawait m.use(greeter, {});\nconsole.log(m.list().map((p) => p.name).join(","));\n`,
    );
    const run = spawnSync("node", ["--import", "bernstein-plugins/register", "host.ts"], {
      cwd: project.dir,
      encoding: "utf8",
    });
    expect([run.status, run.stderr, run.stdout.trim()]).toEqual([0, "", "greeter"]);
  });

  it("writes new plugins that import this copy by path when the nearest install is another copy", async () => {
    const { mkdir, readFile, symlink } = await import("node:fs/promises");
    // This copy installed at the project's root, another copy nearer the new plugin.
    await mkdir(join(project.dir, "node_modules"), { recursive: true });
    await symlink(REPO, join(project.dir, "node_modules", "bernstein-plugins"), "dir");
    // Node stops at the first folder of that name, whatever is in it.
    await mkdir(join(project.dir, "sub", "node_modules", "bernstein-plugins"), { recursive: true });
    await project.write(
      "sub/node_modules/bernstein-plugins/package.json",
      `{ "name": "bernstein-plugins" }\n`,
    );
    const created = await runCli("node", ["new", "plugin", "greeter", "--dir", "sub/plugins"], {
      cwd: project.dir,
    });
    expect(created.code).toBe(0);
    const plugin = await readFile(join(project.dir, "sub", "plugins", "greeter.ts"), "utf8");
    expect(plugin).not.toContain(`from "bernstein-plugins"`);
    expect(plugin).toMatch(/from "(\.\.\/)+.*mod\.ts";/);
  });

  it("loads the library under tsx in a CommonJS project, where tsx compiles it as CommonJS", async () => {
    const { spawnSync } = await import("node:child_process");
    await project.write("package.json", JSON.stringify({ name: "cjs-project", version: "1.0.0" }));
    await project.write(
      "uses.test.ts",
      `import { test } from "node:test";\nimport assert from "node:assert/strict";\n` +
        `import { PluginManager, runtime } from ${JSON.stringify(join(REPO, "mod.ts"))};\n` +
        `test("loads", () => { assert.equal(runtime().name, "node"); assert.equal(typeof PluginManager, "function"); });\n`,
    );
    const tsx = `file://${join(REPO, "node_modules", "tsx", "dist", "loader.mjs")}`;
    const run = spawnSync("node", ["--import", tsx, "--test", "--test-reporter=tap", "uses.test.ts"], {
      cwd: project.dir,
      encoding: "utf8",
    });
    expect(run.stdout, run.stderr).toMatch(/^# pass 1$/m);
  });

  it("treats an unreadable events file as a usage error, before any plugin is set up", async () => {
    await project.write("bernstein.config.json", JSON.stringify({ plugins: [] }));
    const { node, deno } = await both(["run", "--events", "nope.jsonl"], { cwd: project.dir });
    for (const result of [node, deno]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^error: cannot read events file "nope\.jsonl": .*(ENOENT|No such file|not found)/i,
      );
    }
  });

  it("names a plugin after a reserved word without breaking the generated code", async () => {
    const dir = join(REPO, "test", "generated", `class-${Date.now()}`);
    try {
      expect((await runCli("node", ["new", "plugin", "class", "--dir", dir])).code).toBe(0);
      const { spawnSync } = await import("node:child_process");
      const run = spawnSync("node", [
        "--import",
        "tsx",
        "--test",
        "--test-reporter=tap",
        join(dir, "class.test.ts"),
      ], {
        cwd: REPO,
        encoding: "utf8",
      });
      expect(run.stdout).toMatch(/# pass 1\n# fail 0/);
      expect((await runCli("node", ["new", "plugin", "x--y", "--dir", dir])).code).toBe(2);
    } finally {
      await (await import("node:fs/promises")).rm(dir, { recursive: true, force: true });
    }
  });

  it("uses colour and shows progress only on a terminal, and no colour with NO_COLOR", async () => {
    const { spawnSync } = await import("node:child_process");
    const deno = join(REPO, "node_modules", ".bin", "deno");
    const commands = {
      node: `node ${join(REPO, "bin", "bernstein.mjs")} plugins check`,
      deno: `${deno} run -q --allow-read --allow-write --allow-env --allow-net --allow-import ${
        join(REPO, "src", "cli", "main.ts")
      } plugins check`,
    };
    for (const [runtime, command] of Object.entries(commands)) {
      // script(1) runs the command on a pseudo-terminal.
      const onTty = (env: Record<string, string | undefined>) =>
        spawnSync("script", ["-qec", command, "/dev/null"], { cwd: REPO, encoding: "utf8", env }).stdout;
      const { NO_COLOR: _, ...withColour } = process.env;
      const coloured = onTty(withColour);
      expect([runtime, coloured]).toEqual([runtime, expect.stringContaining("\x1b[32mok\x1b[0m")]);
      expect(coloured).toContain("loaded 2/2: ");
      expect(onTty({ ...withColour, NO_COLOR: "1" })).not.toContain("\x1b[32m");
      const piped = await runCli(runtime as "node" | "deno", ["plugins", "check"], { env: { NO_COLOR: "" } });
      expect(piped.stdout + piped.stderr).not.toContain("\x1b[");
    }
  });

  it("says what is wrong with a config, with exit code 1", async () => {
    await project.write("bernstein.config.json", JSON.stringify({ plugins: [42], hooks: { timeoutMs: 0 } }));
    const { node, deno } = await both(["plugins", "check"], { cwd: project.dir });
    expect([node.code, deno.code]).toEqual([1, 1]);
    expect(deno.stderr).toBe(node.stderr);
    expect(node.stderr).toMatch(/^error: Invalid config ".*bernstein\.config\.json": 2 problems\n/);
    expect(node.stderr).toContain("  - hooks.timeoutMs: Invalid value: Expected >=1 but received 0");
    const json = await both(["plugins", "check", "--json"], { cwd: project.dir });
    for (const result of [json.node, json.deno]) {
      expect(result.code).toBe(1);
      const data = JSON.parse(result.stdout);
      expect(data.ok).toBe(false);
      expect(data.file).toMatch(/bernstein\.config\.json$/);
      expect(data.problems).toEqual([
        { path: "hooks.timeoutMs", message: "Invalid value: Expected >=1 but received 0" },
        {
          path: "plugins[0]",
          message:
            "expected a specifier string, [specifier, options], { use, options } or a plugin object, received a number",
        },
      ]);
    }
  });
});
