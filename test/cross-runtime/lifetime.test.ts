// The deadline wheels' timer never holds a process open by itself (a call costs no
// ref/unref of it); when a process has nothing left but a hung call, the deadline
// must still end the call. Real Node and real Deno, in processes of their own.
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const SCRIPT = join(ROOT, "test", "fixtures", "scripts", "lifetime.ts");
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

/** Runs the script in `mode`; its exit code, its JSON line, and how long the process lived. */
function run(runtime: "node" | "deno", mode: string) {
  const [command, args] = runtime === "node"
    ? ["node", [TSX, SCRIPT, mode]]
    : [DENO, ["run", "-q", "--allow-read", "--allow-env", "--no-lock", SCRIPT, mode]];
  const started = performance.now();
  return new Promise<
    { code: number | null; out: Record<string, unknown> | undefined; ms: number; stderr: string }
  >(
    (done, fail) => {
      // Killed after 30 s: a process held open must fail its test, not outlive it.
      const child = spawn(command, args, {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: "1" },
        timeout: 30_000,
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("error", fail);
      child.on("close", (code) => {
        const line = stdout.trim().split("\n").at(-1) ?? "";
        let out: Record<string, unknown> | undefined;
        try {
          out = JSON.parse(line);
        } catch {
          out = undefined;
        }
        done({ code, out, ms: performance.now() - started, stderr });
      });
    },
  );
}

describe.each(["node", "deno"] as const)("process lifetime on %s", (runtime) => {
  it("keeps a process whose only work is a hung call running until the deadline ends the call", async () => {
    const { code, out, stderr } = await run(runtime, "hung");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(out?.results).toEqual([["after"], ["after"], ["after"]]);
    expect(out?.timeouts).toBe(3);
    expect(out?.ms as number).toBeGreaterThanOrEqual(3 * 290);
  });

  it("does not hold a process open after its calls settled, however long their deadline", async () => {
    const { code, out, ms } = await run(runtime, "quick");
    expect(code).toBe(0);
    expect(out).toEqual({ calls: 100 });
    // A held timer would keep it at least one 7.5 s tick of the 120 s deadline's wheel.
    expect(ms).toBeLessThan(7_000);
  });

  it("lets a process end once its manager is shut down, calls still hanging", async () => {
    const { code, out, ms } = await run(runtime, "shutdown");
    expect(code).toBe(0);
    expect(out).toEqual({ shutdown: true });
    expect(ms).toBeLessThan(7_000);
  });
});
