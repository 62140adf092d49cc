// Runs a child process to its end and collects what it printed: the one way the
// cross-runtime tests start real Node and real Deno.
import { spawn } from "node:child_process";

/** What a finished child printed, and its exit code (null when a signal ended it). */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command` with `args` and waits for it to end.
 *
 * @param options Working directory, environment, standard input (none: ignored), and a
 *   time after which the child is killed.
 */
export function runToEnd(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined>; stdin?: string; timeoutMs?: number },
): Promise<Finished> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      timeout: options.timeoutMs,
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  });
}
