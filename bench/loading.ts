// Plugin loading: 100 generated local TypeScript plugins through the loader
// against bare import()s of the same modules; 20 URL plugins and one jsr: plugin
// from servers on 127.0.0.1, cold and cached, on Node and on Deno. Every sample is
// a fresh process; times are measured inside it.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { startJsrRegistry, startModuleHost } from "../test/_servers.ts";
import { medianOf, ROOT, runScript } from "./_spawn.ts";

/** One loading measurement. */
export interface LoadingResult {
  scenario: string;
  runtime: "node" | "deno";
  subject: string;
  ms: number;
  requests?: number;
}

const LOCAL = join(ROOT, "bench", "scripts", "load-local.ts");
const REMOTE = join(ROOT, "bench", "scripts", "load-remote.ts");
// Node loads through its loader thread, which makes single runs vary by ±30% (two modes, ~40
// and ~55 ms for 100 local plugins, whichever the subject): many samples.
const SAMPLES = 25;

/** Runs the loading benchmarks. */
export async function loading(): Promise<LoadingResult[]> {
  const results: LoadingResult[] = [];
  const work = join(ROOT, "bench", ".work");
  await rm(work, { recursive: true, force: true });
  const local = join(work, "local");
  await mkdir(local, { recursive: true });
  const count = 100;
  for (let i = 0; i < count; i++) {
    await writeFile(
      join(local, `plugin-${i}.ts`),
      `interface Args { agentId: string }\nconst seen: string[] = [];\n` +
        `export default { name: "p${i}", hooks: { onAgentDied: ({ agentId }: Args): void => void seen.push(agentId) } };\n`,
    );
  }
  await writeFile(
    join(local, "bernstein.config.json"),
    JSON.stringify({ plugins: Array.from({ length: count }, (_, i) => `./plugin-${i}.ts`) }),
  );
  for (const runtime of ["node", "deno"] as const) {
    const bare: number[] = [];
    const ours: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      bare.push((await runScript(runtime, LOCAL, ["bare", local, String(count)])).ms as number);
      ours.push((await runScript(runtime, LOCAL, ["ours", local, String(count)])).ms as number);
      process.stderr.write(".");
    }
    results.push({
      scenario: "100 local TypeScript plugins",
      runtime,
      subject: "bare import()",
      ms: medianOf(bare),
    });
    results.push({
      scenario: "100 local TypeScript plugins",
      runtime,
      subject: "ours (createManager)",
      ms: medianOf(ours),
    });
  }

  const files: Record<string, { body: string }> = {};
  for (let i = 0; i < 20; i++) {
    files[`/p${i}.ts`] = {
      body: `import { tag } from "./shared.ts";\nexport default { name: "url-${i}" + tag, hooks: {} };\n`,
    };
  }
  files["/shared.ts"] = { body: `export const tag: string = "";\n` };
  const host = await startModuleHost(files);
  const jsr = await startJsrRegistry({
    "@bench/plugin": {
      "1.0.0": {
        files: {
          "/mod.ts": `import { n } from "./lib.ts";\nexport default { name: "jsr-" + n, hooks: {} };\n`,
          "/lib.ts": `export const n: string = "bench";\n`,
        },
      },
    },
  });
  try {
    for (const runtime of ["node", "deno"] as const) {
      const dir = join(work, `remote-${runtime}`);
      const cold: number[] = [];
      const cached: number[] = [];
      let cachedRequests = 0;
      for (let s = 0; s < SAMPLES; s++) {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
        await writeFile(
          join(dir, "bernstein.config.json"),
          JSON.stringify({
            plugins: [
              "jsr:@bench/plugin@^1",
              ...Object.keys(files).filter((f) => f !== "/shared.ts").map((f) => `${host.url}${f}`),
            ],
          }),
        );
        const env = { JSR_URL: jsr.url, DENO_DIR: join(dir, ".deno") };
        // Deno's lock for these runs is the benchmark's own, not the repository's.
        const lock = [`--lock=${join(dir, "deno.lock")}`];
        const first = await runScript(runtime, REMOTE, [dir], env, lock);
        if (first.loaded !== 21) throw new Error(`${runtime}: ${JSON.stringify(first.errors)}`);
        cold.push(first.ms as number);
        jsr.requests.length = 0;
        host.requests.length = 0;
        cached.push((await runScript(runtime, REMOTE, [dir], env, lock)).ms as number);
        cachedRequests += jsr.requests.length + host.requests.length;
        process.stderr.write(".");
      }
      results.push({
        scenario: "20 URL plugins + 1 jsr: plugin",
        runtime,
        subject: "cold (empty cache)",
        ms: medianOf(cold),
      });
      results.push({
        scenario: "20 URL plugins + 1 jsr: plugin",
        runtime,
        subject: "cached (cache and lock in place)",
        ms: medianOf(cached),
        requests: cachedRequests,
      });
    }
  } finally {
    await host.close();
    await jsr.close();
    await rm(work, { recursive: true, force: true });
  }
  process.stderr.write("\n");
  return results;
}
