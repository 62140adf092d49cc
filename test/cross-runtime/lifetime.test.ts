// What keeps a process running: a call whose implementation hangs must keep it
// running until its deadline ends the call (in a plain script, and under node:test
// and `deno test`, which end a test whose event loop ran dry); settled calls under a
// long deadline, and a shut-down manager, must not. Real Node and real Deno, in
// processes of their own.
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type Finished, runToEnd } from "./_spawn.ts";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const SCRIPTS = join(ROOT, "test", "fixtures", "scripts");
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const DENO = join(ROOT, "node_modules", ".bin", "deno");
const REGISTER = join(ROOT, "bin", "register.mjs");

interface Outcome extends Finished {
  /** The last line of standard output, parsed, if it is JSON. */
  out: Record<string, unknown> | undefined;
  ms: number;
}

/** Runs a command in the repository; killed after 30 s, so that a process held open fails its test. */
async function spawnIn(command: string, args: string[]): Promise<Outcome> {
  const started = performance.now();
  const finished = await runToEnd(command, args, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    timeoutMs: 30_000,
  });
  let out: Record<string, unknown> | undefined;
  try {
    out = JSON.parse(finished.stdout.trim().split("\n").at(-1) ?? "");
  } catch {
    out = undefined;
  }
  return { ...finished, out, ms: performance.now() - started };
}

/** Runs test/fixtures/scripts/lifetime.ts in `mode`. */
function lifetime(runtime: "node" | "deno", mode: string): Promise<Outcome> {
  const script = join(SCRIPTS, "lifetime.ts");
  return runtime === "node"
    ? spawnIn("node", [TSX, script, mode])
    : spawnIn(DENO, ["run", "-q", "--allow-read", "--allow-env", "--no-lock", script, mode]);
}

describe.each(["node", "deno"] as const)("process lifetime on %s", (runtime) => {
  it("keeps a process whose only work is a hung call running until the deadline ends the call", async () => {
    const { code, out, stderr } = await lifetime(runtime, "hung");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(out?.results).toEqual([["after"], ["after"], ["after"]]);
    expect(out?.timeouts).toBe(3);
    expect(out?.ms as number).toBeGreaterThanOrEqual(3 * 290);
  });

  it("does not hold a process open after its calls settled, however long their deadline", async () => {
    const { code, out, ms } = await lifetime(runtime, "quick");
    expect(code).toBe(0);
    expect(out).toEqual({ calls: 100 });
    // A held timer would keep it at least one 7.5 s tick of the 120 s deadline's wheel.
    expect(ms).toBeLessThan(7_000);
  });

  it("lets a process end once its manager is shut down, calls still hanging", async () => {
    const { code, out, ms } = await lifetime(runtime, "shutdown");
    expect(code).toBe(0);
    expect(out).toEqual({ shutdown: true });
    expect(ms).toBeLessThan(7_000);
  });

  it("lets a plugin author's test await a hung call under the runtime's own test runner", async () => {
    const result = runtime === "node"
      ? await spawnIn("node", [
        "--import",
        REGISTER,
        "--test",
        "--test-reporter=tap",
        join(SCRIPTS, "hung-call-node-test.ts"),
      ])
      : await spawnIn(DENO, [
        "test",
        "-q",
        "--allow-read",
        "--allow-env",
        "--no-lock",
        join(SCRIPTS, "hung-call-deno-test.ts"),
      ]);
    const output = `${result.stdout}${result.stderr}`;
    expect(output).not.toMatch(/still pending|never resolved/i);
    expect(output).toMatch(
      runtime === "node" ? /# pass 1\n# fail 0\n# cancelled 0/ : /ok \| 1 passed \| 0 failed/,
    );
    expect(result.code).toBe(0);
  });
});
