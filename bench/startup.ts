// Start-up: `bernstein plugins check` on the repo's config, cold, against the bare
// runtimes (`node -e 0`, `deno eval 0`), and the peak memory of `bernstein run`.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { DENO, medianOf, ROOT } from "./_spawn.ts";

/** One start-up measurement. */
export interface StartupResult {
  runtime: "node" | "deno";
  subject: string;
  ms: number;
  peakMb?: number;
}

const SAMPLES = 9;
const FLAGS = ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-import"];

function wall(command: string, args: string[]): { ms: number; peakMb: number } {
  // GNU time reports the peak resident set size; the wall time is measured here.
  const started = performance.now();
  const run = spawnSync("/usr/bin/time", ["-f", "%M", command, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${run.stderr}`);
  const kb = Number(run.stderr.trim().split("\n").at(-1));
  return { ms, peakMb: kb / 1024 };
}

/** Runs the start-up benchmarks. */
export function startup(): StartupResult[] {
  const bin = join(ROOT, "bin", "bernstein.mjs");
  const main = join(ROOT, "src", "cli", "main.ts");
  const cases: [StartupResult["runtime"], string, string, string[]][] = [
    ["node", "node -e 0", "node", ["-e", "0"]],
    ["node", "bernstein plugins check", "node", [bin, "plugins", "check"]],
    ["node", "bernstein run (peak memory)", "node", [bin, "run"]],
    ["deno", "deno eval 0", DENO, ["eval", "0"]],
    ["deno", "bernstein plugins check", DENO, ["run", ...FLAGS, main, "plugins", "check"]],
    ["deno", "bernstein run (peak memory)", DENO, ["run", ...FLAGS, main, "run"]],
  ];
  const results: StartupResult[] = [];
  for (const [runtime, subject, command, args] of cases) {
    const samples = Array.from({ length: SAMPLES }, () => wall(command, args));
    results.push({
      runtime,
      subject,
      ms: medianOf(samples.map((s) => s.ms)),
      peakMb: medianOf(samples.map((s) => s.peakMb)),
    });
    process.stderr.write(".");
  }
  process.stderr.write("\n");
  return results;
}
