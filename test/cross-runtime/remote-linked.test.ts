// Remote module graphs that Node links as plain files (src/loader/remote/link.ts)
// must behave as Deno's native remote imports do: the module's own URL in
// import.meta.url and no file name, one instance of a module two plugins (or a
// local plugin) import, JSON imports, hashbang lines. Graphs the files cannot
// express (dynamic import(), cycles, other uses of import.meta) go through the
// loader hooks and still load. On Node, the link index is tied to the lockfile's content.
import { createHash } from "node:crypto";
import { readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type TempProject, tempProject } from "../_project.ts";
import { type HostedFile, startModuleHost, type TestServer } from "../_servers.ts";
import { runReport, RUNTIMES } from "./_run.ts";

const files: Record<string, HostedFile> = {
  "/meta/url.ts": {
    body: `export default { name: "where", hooks: { onAgentSpawned: () => ` +
      `"at " + import.meta.url + " " + typeof import.meta.filename } };\n`,
  },
  "/meta/alias.ts": {
    body:
      `const meta = import.meta;\nexport default { name: "alias", hooks: { onAgentSpawned: () => "alias " + meta.url } };\n`,
  },
  "/bang.js": {
    body:
      `#!/usr/bin/env -S deno run\nexport default { name: "bang", hooks: { onAgentSpawned: () => "bang" } };\n`,
    type: "text/javascript",
  },
  "/bad-export.ts": {
    body:
      `import { nope } from "./shared/counter.ts";\nexport default { name: "bad", hooks: { onAgentSpawned: () => nope } };\n`,
  },
  "/moved.ts": { body: "", redirect: "/shared/a.ts" },
  "/stack.ts": {
    body: `export default { name: "stack", hooks: { onAgentSpawned: () => ` +
      `/https?:\\/\\/\\S+:\\d+:\\d+/.exec(new Error("here").stack ?? "")?.[0] } };\n`,
  },
  "/shared/counter.ts": { body: `let n = 0;\nexport const next = (): number => ++n;\n` },
  "/shared/a.ts": {
    body:
      `import { next } from "./counter.ts";\nexport default { name: "a", hooks: { onAgentSpawned: () => "a:" + next() } };\n`,
  },
  "/shared/b.ts": {
    body:
      `import { next } from "./counter.ts";\nexport default { name: "b", hooks: { onAgentSpawned: () => "b:" + next() } };\n`,
  },
  "/data/plugin.ts": {
    body:
      `import info from "./info.json" with { type: "json" };\nexport default { name: info.name, hooks: { onAgentSpawned: () => info.greeting } };\n`,
  },
  "/data/info.json": {
    body: `{ "name": "from-json", "greeting": "hello from json" }`,
    type: "application/json",
  },
  "/dyn/plugin.ts": {
    body:
      `const { who } = await import("./who.ts");\nexport default { name: "dynamic", hooks: { onAgentSpawned: () => "dynamic " + who } };\n`,
  },
  "/dyn/who.ts": { body: `export const who: string = "imported later";\n` },
  "/cycle/a.ts": {
    body:
      `import { b } from "./b.ts";\nexport const a = (): string => "a";\nexport default { name: "cycle", hooks: { onAgentSpawned: () => b() } };\n`,
  },
  "/cycle/b.ts": { body: `import { a } from "./a.ts";\nexport const b = (): string => a() + "b";\n` },
};

let host: TestServer;
let project: TempProject;
beforeAll(async () => {
  host = await startModuleHost(files);
});
afterAll(() => host.close());
beforeEach(async () => {
  project = await tempProject();
  host.requests.length = 0;
});
afterEach(() => project.remove());

async function config(paths: string[]) {
  await project.write("bernstein.config.json", JSON.stringify({ plugins: paths.map((p) => host.url + p) }));
}
const linkedDir = () => join(project.dir, ".bernstein", "cache", "linked");
const linkedFiles = async () => (await readdir(linkedDir()).catch(() => [])).sort();

describe("remote module graphs on Node (linked or through the hooks) and on Deno", () => {
  it("give a module its own URL, one instance to every importer, and JSON imports", async () => {
    await config(["/meta/url.ts", "/shared/a.ts", "/shared/b.ts", "/data/plugin.ts"]);
    for (const runtime of RUNTIMES) {
      const report = await runReport(runtime, { dir: project.dir });
      expect([runtime, report.errors]).toEqual([runtime, []]);
      expect(report.results).toEqual([
        `at ${host.url}/meta/url.ts undefined`,
        "a:1",
        "b:2",
        "hello from json",
      ]);
    }
    // Node linked them: one file per module (the shared one once) and the index.
    const linked = await linkedFiles();
    expect(linked.filter((f) => f.endsWith(".mjs"))).toHaveLength(5);
    expect(linked.filter((f) => /^[0-9a-f]{64}\.json$/.test(f))).toHaveLength(1);
    expect(linked.filter((f) => f.startsWith("index-"))).toHaveLength(1);
  });

  it("point stack traces at the remote URL, line and column", async () => {
    await config(["/stack.ts"]);
    const where: unknown[] = [];
    for (const runtime of RUNTIMES) where.push((await runReport(runtime, { dir: project.dir })).results);
    const column = files["/stack.ts"].body.indexOf("new Error") + 1;
    expect(where[0]).toEqual([`${host.url}/stack.ts:1:${column}`]);
    expect(where[1]).toEqual(where[0]);
  });

  it("load a module that starts with a hashbang line", async () => {
    await config(["/bang.js"]);
    for (const runtime of RUNTIMES) {
      const report = await runReport(runtime, { dir: project.dir });
      expect([runtime, report.errors, report.results]).toEqual([runtime, [], ["bang"]]);
    }
  });

  it("give a local plugin the same instance of a remote module a remote plugin imports", async () => {
    await project.write(
      "local.mjs",
      `import { next } from "${host.url}/shared/counter.ts";\n` +
        `export default { name: "local", hooks: { onAgentSpawned: () => "local:" + next() } };\n`,
    );
    await project.write(
      "bernstein.config.json",
      JSON.stringify({ plugins: [`${host.url}/shared/a.ts`, "./local.mjs"] }),
    );
    for (const runtime of RUNTIMES) {
      const report = await runReport(runtime, { dir: project.dir });
      expect([runtime, report.errors, report.results]).toEqual([runtime, [], ["a:1", "local:2"]]);
    }
  });

  const unlinkable = [
    ["a dynamic import()", "/dyn/plugin.ts", "dynamic imported later"],
    ["an import cycle", "/cycle/a.ts", "ab"],
    ["import.meta used other than by member", "/meta/alias.ts", "alias URL/meta/alias.ts"],
  ];
  for (const [what, path, result] of unlinkable) {
    it(`load a graph with ${what} (on Node through the loader hooks)`, async () => {
      await config(["/meta/url.ts", path]);
      const expected = [`at ${host.url}/meta/url.ts undefined`, result.replace("URL", host.url)];
      // Node twice: the second start goes by the index's verdict.
      for (const runtime of [...RUNTIMES, "node"] as const) {
        const report = await runReport(runtime, { dir: project.dir });
        expect([runtime, report.errors, report.results]).toEqual([runtime, [], expected]);
      }
      // The whole config went through the hooks, so that no module loads by two routes.
      const linked = await linkedFiles();
      expect(linked).toHaveLength(1);
      expect(JSON.parse(await readFile(join(linkedDir(), linked[0]), "utf8"))).toMatchObject({
        unlinkable: true,
      });
    });
  }

  it("check an entry's integrity however its specifier is spelt", async () => {
    const bad = `sha384-${createHash("sha384").update("something else").digest("base64")}`;
    const port = new URL(host.url).port;
    for (
      const use of [
        `HTTP://127.0.0.1:${port}/shared/a.ts`,
        `${host.url}/shared/./a.ts`,
        ` ${host.url}/shared/a.ts `,
      ]
    ) {
      await project.write("bernstein.config.json", JSON.stringify({ plugins: [{ use, integrity: bad }] }));
      for (const runtime of RUNTIMES) {
        await rm(join(project.dir, ".bernstein"), { recursive: true, force: true });
        const report = await runReport(runtime, { dir: project.dir });
        expect([runtime, use, report.loaded]).toEqual([runtime, use, []]);
        expect(report.errors![0]).toContain("does not match its integrity");
      }
    }
  });

  it("name the remote module, not a linked file, when an import does not match an export", async () => {
    await config(["/bad-export.ts", "/shared/a.ts"]);
    for (const runtime of RUNTIMES) {
      const report = await runReport(runtime, { dir: project.dir });
      expect([runtime, report.loaded?.map((l) => l.name)]).toEqual([runtime, ["a"]]);
      expect(report.errors![0]).toMatch(/counter\.ts'? does not provide an export named 'nope'/);
      expect(report.errors![0]).not.toMatch(/[0-9a-f]{64}/);
    }
  });

  it("check an entry's integrity when it redirects to a module another entry loads too", async () => {
    const bad = `sha384-${createHash("sha384").update("something else").digest("base64")}`;
    await project.write(
      "bernstein.config.json",
      JSON.stringify({
        plugins: [`${host.url}/shared/a.ts`, { use: `${host.url}/moved.ts`, integrity: bad }],
      }),
    );
    // Node binds the hash to the module the entry resolves to, wherever it is imported, before
    // checking any module (nothing refused is locked or cached); Deno checks the entry alone.
    const node = await runReport("node", { dir: project.dir });
    expect(node.loaded).toEqual([]);
    expect(node.errors).toEqual([
      expect.stringContaining("does not match its integrity"),
      expect.stringContaining("does not match its integrity"),
    ]);
    const deno = await runReport("deno", { dir: project.dir });
    expect(deno.loaded?.map((l) => l.name)).toEqual(["a"]);
    expect(deno.errors).toEqual([expect.stringContaining("does not match its integrity")]);
  });

  it("check an entry's integrity against what its URL redirects to", async () => {
    const body = files["/shared/a.ts"].body;
    const good = `sha384-${createHash("sha384").update(body).digest("base64")}`;
    const bad = `sha384-${createHash("sha384").update("something else").digest("base64")}`;
    for (const [integrity, loaded] of [[good, ["a"]], [bad, []]] as const) {
      await project.write(
        "bernstein.config.json",
        JSON.stringify({ plugins: [{ use: `${host.url}/moved.ts`, integrity }] }),
      );
      for (const runtime of RUNTIMES) {
        await rm(join(project.dir, "deno.lock"), { force: true });
        await rm(join(project.dir, ".bernstein"), { recursive: true, force: true });
        const report = await runReport(runtime, { dir: project.dir });
        expect([runtime, report.loaded?.map((l) => l.name)]).toEqual([runtime, loaded]);
        if (integrity === bad) expect(report.errors![0]).toContain("does not match its integrity");
      }
    }
  });
});

describe("the link index on Node", () => {
  it("serves a second start without reading the cache or the network", async () => {
    await config(["/shared/a.ts", "/shared/b.ts"]);
    expect((await runReport("node", { dir: project.dir })).results).toEqual(["a:1", "b:2"]);
    const cache = join(project.dir, ".bernstein", "cache");
    for (const name of await readdir(cache)) {
      if (name.endsWith(".entry")) await rm(join(cache, name));
    }
    host.requests.length = 0;
    const second = await runReport("node", { dir: project.dir });
    expect(second.results).toEqual(["a:1", "b:2"]);
    expect(host.requests).toEqual([]);
  });

  it("is not used once the lockfile changed: a wrong hash in the lock is refused", async () => {
    await config(["/shared/a.ts"]);
    await runReport("node", { dir: project.dir });
    const lockPath = join(project.dir, "deno.lock");
    const lock = JSON.parse(await readFile(lockPath, "utf8"));
    const url = `${host.url}/shared/counter.ts`;
    expect(lock.remote[url]).toMatch(/^[0-9a-f]{64}$/);
    lock.remote[url] = "0".repeat(64);
    await writeFile(lockPath, JSON.stringify(lock, null, 2));
    const report = await runReport("node", { dir: project.dir });
    expect(report.loaded).toEqual([]);
    expect(report.errors![0]).toContain(`integrity check failed for ${url}: the lockfile`);
  });

  it("writes every linked file again when it links again: a damaged file does not survive", async () => {
    await config(["/shared/a.ts"]);
    await runReport("node", { dir: project.dir });
    const modules = (await linkedFiles()).filter((f) => f.endsWith(".mjs")).map((f) => join(linkedDir(), f));
    const texts = await Promise.all(modules.map((m) => readFile(m, "utf8")));
    const path = modules[texts.findIndex((text) => text.includes(`"a:"`))];
    const good = await readFile(path, "utf8");
    await writeFile(path, good.replace(`"a:"`, `"damaged:"`));
    expect((await runReport("node", { dir: project.dir })).results).toEqual(["damaged:1"]); // trusted while the index holds
    // The same lock in other words: the index no longer matches it, so linking runs again.
    const lockPath = join(project.dir, "deno.lock");
    await writeFile(lockPath, JSON.stringify(JSON.parse(await readFile(lockPath, "utf8"))));
    const report = await runReport("node", { dir: project.dir });
    expect(report.results).toEqual(["a:1"]);
    expect(await readFile(path, "utf8")).toBe(good);
  });

  it("leaves a lock it cannot write to the hooks, which fail the remote plugin alone", async () => {
    await writeFile(join(project.dir, "not-a-folder"), "");
    await project.write("local.ts", `export default { name: "local", hooks: {} };\n`);
    await project.write(
      "bernstein.config.json",
      JSON.stringify({
        plugins: [`${host.url}/shared/a.ts`, "./local.ts"],
        lock: { path: "not-a-folder/deno.lock" },
      }),
    );
    const report = await runReport("node", { dir: project.dir });
    expect(report.fatal).toBeUndefined();
    expect(report.loaded?.map((l) => l.name)).toEqual(["local"]);
    expect(report.errors).toHaveLength(1);
    expect(report.errors![0]).toContain(`Cannot load plugin "${host.url}/shared/a.ts"`);
  });

  it("clears out, when it links again, indexes for another text of the lock and old files no index names", async () => {
    await config(["/shared/a.ts"]);
    await runReport("node", { dir: project.dir });
    const [index] = (await linkedFiles()).filter((f) => f.startsWith("index-"));
    const stale = JSON.parse(await readFile(join(linkedDir(), index), "utf8"));
    // A new text of the lock: this config's index is stale, and relinking writes another.
    const lockPath = join(project.dir, "deno.lock");
    const lockText = JSON.stringify(JSON.parse(await readFile(lockPath, "utf8")));
    await writeFile(lockPath, lockText);
    const hoursAgo = (n: number) => new Date(Date.now() - n * 3600_000);
    const file = (c: string) => join(linkedDir(), `${c.repeat(64)}.mjs`);
    // Another config's index for the new text names an old file: both stay.
    const other = {
      ...stale,
      key: stale.key.replace("shared/a.ts", "x.ts"),
      lock: lockText,
      modules: { x: file("e") },
    };
    await writeFile(join(linkedDir(), "index-other.json"), JSON.stringify(other));
    // One made for the old text: it goes.
    const old = { ...stale, key: stale.key.replace("shared/a.ts", "y.ts") };
    await writeFile(join(linkedDir(), "index-old.json"), JSON.stringify(old));
    // Files no index names: the old one goes, the recent one (maybe about to be indexed) stays.
    for (const c of ["d", "e", "f"]) await writeFile(file(c), "export {};\n");
    for (const c of ["e", "f"]) await utimes(file(c), hoursAgo(2), hoursAgo(2));
    expect((await runReport("node", { dir: project.dir })).results).toEqual(["a:1"]);
    const after = await linkedFiles();
    expect(after.filter((f) => f.startsWith("index-")).sort()).toEqual([index, "index-other.json"].sort());
    expect(JSON.parse(await readFile(join(linkedDir(), index), "utf8")).lock).toBe(lockText);
    expect([file("d"), file("e"), file("f")].map((f) => after.includes(f.slice(linkedDir().length + 1))))
      .toEqual([true, true, false]);
  });

  it("leaves the files that are still right alone when it links again", async () => {
    await config(["/shared/a.ts", "/shared/b.ts"]);
    await runReport("node", { dir: project.dir });
    const modules = (await linkedFiles()).filter((f) => f.endsWith(".mjs")).map((f) => join(linkedDir(), f));
    const long = new Date(Date.now() - 3600_000);
    for (const module of modules) await utimes(module, long, long);
    const times = await Promise.all(modules.map(async (module) => (await stat(module)).mtimeMs));
    const lockPath = join(project.dir, "deno.lock");
    await writeFile(lockPath, JSON.stringify(JSON.parse(await readFile(lockPath, "utf8"))));
    expect((await runReport("node", { dir: project.dir })).results).toEqual(["a:1", "b:2"]);
    expect(await Promise.all(modules.map(async (module) => (await stat(module)).mtimeMs))).toEqual(times);
  });

  it("links nothing without a lock: the hooks load the plugins", async () => {
    await project.write(
      "bernstein.config.json",
      JSON.stringify({ plugins: [`${host.url}/shared/a.ts`], lock: false }),
    );
    expect((await runReport("node", { dir: project.dir })).results).toEqual(["a:1"]);
    expect(await linkedFiles()).toEqual([]);
  });

  // From Node 22, loading TypeScript in the loader thread itself needs WebAssembly
  // (Node strips the types there), so --jitless runs none of this TypeScript at all.
  it.runIf(Number(process.versions.node.split(".")[0]) < 22)(
    "links nothing without WebAssembly (node --jitless): the hooks load the cached plugins",
    async () => {
      await config(["/shared/a.ts"]);
      await runReport("node", { dir: project.dir }); // caches the modules: Node's fetch needs WebAssembly too
      await rm(linkedDir(), { recursive: true, force: true });
      const jitless = await runReport("node", { dir: project.dir, env: { NODE_OPTIONS: "--jitless" } });
      expect([jitless.errors, jitless.results, jitless.fatal]).toEqual([[], ["a:1"], undefined]);
      expect(await linkedFiles()).toEqual([]);
    },
  );

  it("links again when a linked file is missing", async () => {
    await config(["/shared/a.ts"]);
    await runReport("node", { dir: project.dir });
    const before = await linkedFiles();
    const module = before.find((f) => f.endsWith(".mjs"))!;
    await rm(join(linkedDir(), module));
    const report = await runReport("node", { dir: project.dir });
    expect(report.results).toEqual(["a:1"]);
    expect(await linkedFiles()).toEqual(before);
  });
});
