// Running benchmark children on real Node and real Deno.
import { spawn } from "node:child_process";
import process from "node:process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = resolve(fileURLToPath(new URL("..", import.meta.url)));
/** The Deno binary npm installed. */
export const DENO: string = join(ROOT, "node_modules", ".bin", "deno");
// As shipped: the library's own TypeScript loader, which the bernstein command uses.
const REGISTER = join(ROOT, "bin", "register.mjs");

/**
 * Runs a TypeScript script on a runtime and parses the JSON line it prints last.
 * Asynchronous, so that servers in this process keep answering the child.
 */
export function runScript(
  runtime: "node" | "deno",
  script: string,
  args: string[],
  env: Record<string, string> = {},
  denoFlags: string[] = ["--no-lock"],
): Promise<Record<string, unknown>> {
  const [command, argv] = runtime === "node"
    ? ["node", ["--import", `file://${REGISTER}`, script, ...args]]
    : [DENO, ["run", "-A", "-q", ...denoFlags, script, ...args]];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", () => {
      const line = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolvePromise(JSON.parse(line));
      } catch {
        reject(new Error(`${runtime} ${script} failed:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** The median of numbers. */
export function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
