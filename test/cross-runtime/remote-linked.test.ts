// Remote module graphs that Node links as plain files (src/loader/remote/link.ts)
// must behave as Deno's native remote imports do: the module's own URL in
// import.meta.url, one instance of a module two plugins import, JSON imports. Graphs
// the files cannot express (dynamic import(), cycles) go through the loader hooks
// and still load. On Node, the link index is tied to the lockfile's content.
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type TempProject, tempProject } from "../_project.ts";
import { type HostedFile, startModuleHost, type TestServer } from "../_servers.ts";
import { runReport, RUNTIMES } from "./_run.ts";

const files: Record<string, HostedFile> = {
  "/meta/url.ts": {
    body: `export default { name: "where", hooks: { onAgentSpawned: () => "at " + import.meta.url } };\n`,
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
      expect(report.results).toEqual([`at ${host.url}/meta/url.ts`, "a:1", "b:2", "hello from json"]);
    }
    // Node linked them: one file per module (the shared one once) and the index.
    const linked = await linkedFiles();
    expect(linked.filter((f) => f.endsWith(".mjs"))).toHaveLength(5);
    expect(linked.filter((f) => /^[0-9a-f]{64}\.json$/.test(f))).toHaveLength(1);
    expect(linked.filter((f) => f.startsWith("index-"))).toHaveLength(1);
  });

  for (
    const [what, path, result] of [
      ["a dynamic import()", "/dyn/plugin.ts", "dynamic imported later"],
      ["an import cycle", "/cycle/a.ts", "ab"],
    ]
  ) {
    it(`load a graph with ${what} (on Node through the loader hooks)`, async () => {
      await config(["/meta/url.ts", path]);
      for (const runtime of RUNTIMES) {
        const report = await runReport(runtime, { dir: project.dir });
        expect([runtime, report.errors]).toEqual([runtime, []]);
        expect(report.results).toEqual([`at ${host.url}/meta/url.ts`, result]);
      }
      // The whole config went through the hooks, so that no module loads by two routes.
      expect(await linkedFiles()).toEqual([]);
    });
  }
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
