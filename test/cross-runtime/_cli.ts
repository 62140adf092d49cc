// Runs the bernstein command under real Node (bin/bernstein.mjs) or real Deno (the
// same flags as `deno task bernstein`) and captures what it prints.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Finished, runToEnd } from "./_spawn.ts";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const BIN = join(ROOT, "bin", "bernstein.mjs");
const MAIN = join(ROOT, "src", "cli", "main.ts");
const DENO = join(ROOT, "node_modules", ".bin", "deno");
const TASK = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).tasks.bernstein as string;
/** The permission flags of `deno task bernstein`, so the tests run what users run. */
const DENO_FLAGS = TASK.split(" ").filter((part) => part.startsWith("--"));

/** What one CLI run produced. */
export type CliResult = Finished;

/**
 * Runs `bernstein ...args` on a runtime.
 *
 * @param runtime `"node"` or `"deno"`.
 * @param args Arguments after `bernstein`.
 * @param options Working directory, standard input, extra variables.
 */
export function runCli(
  runtime: "node" | "deno",
  args: string[],
  options: { cwd?: string; stdin?: string; env?: Record<string, string>; denoFlags?: string[] } = {},
): Promise<CliResult> {
  const [command, argv] = runtime === "node"
    ? ["node", [BIN, ...args]]
    : [DENO, ["run", "-q", ...DENO_FLAGS, ...(options.denoFlags ?? []), MAIN, ...args]];
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: "1",
    DENO_DIR: process.env.DENO_DIR,
    ...options.env,
  };
  return runToEnd(command, argv, { cwd: options.cwd ?? ROOT, env, stdin: options.stdin ?? "" });
}

/** The repository root. */
export const REPO: string = ROOT;
