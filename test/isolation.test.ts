// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
import { describe, expect, it } from "vitest";
import { HookTimeoutError } from "../src/errors.ts";
import { makeTask, sleep, testManager } from "./_helpers.ts";

const task = makeTask();
const args = { task };

describe("isolation", () => {
  it("records and logs a synchronous throw and runs the remaining implementations", () => {
    const { manager, log } = testManager();
    const seen: string[] = [];
    manager.register({ name: "before", hooks: { onTaskCreated: () => void seen.push("before") } });
    manager.register({
      name: "broken",
      hooks: {
        onTaskCreated() {
          throw new Error("disk full");
        },
      },
    });
    manager.register({ name: "after", hooks: { onTaskCreated: () => void seen.push("after") } });
    expect(manager.hook.onTaskCreated(args)).toEqual([]);
    expect(seen).toEqual(["before", "after"]);
    expect(manager.failures).toHaveLength(1);
    expect(manager.failures[0]).toMatchObject({ plugin: "broken", hook: "onTaskCreated", kind: "error" });
    expect((manager.failures[0].error as Error).message).toBe("disk full");
    expect(manager.failures[0].time).toBeGreaterThan(0);
    expect(log.at("error")).toEqual(['Plugin "broken" failed in hook "onTaskCreated": disk full']);
  });

  it("records an async rejection and keeps going", async () => {
    const { manager } = testManager();
    const seen: string[] = [];
    manager.register({
      name: "rejects",
      hooks: { onTaskCreated: () => Promise.reject(new Error("503 from Slack")) },
    });
    manager.register({ name: "after", hooks: { onTaskCreated: async () => void seen.push("after") } });
    await manager.hook.onTaskCreated(args);
    expect(seen).toEqual(["after"]);
    expect(manager.failures.map((f) => [f.plugin, (f.error as Error).message])).toEqual([
      ["rejects", "503 from Slack"],
    ]);
  });

  it("records a thrown non-Error value with its text", () => {
    const { manager, log } = testManager();
    manager.register({
      name: "strings",
      hooks: {
        onAgentDied() {
          throw "nope";
        },
      },
    });
    manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    expect(manager.failures[0].error).toBe("nope");
    expect(log.at("error")[0]).toContain(": nope");
  });

  it("bypasses a wrapper that throws before next(), running the inner implementations once", async () => {
    const { manager } = testManager();
    let inner = 0;
    manager.register({ name: "inner", hooks: { onTaskCreated: () => (inner++, "r" as never) } });
    manager.register({
      name: "bad-wrapper",
      hooks: {
        onTaskCreated: {
          wrapper() {
            throw new Error("wrapper broke early");
          },
        },
      },
    });
    expect(await manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect(inner).toBe(1);
    expect(manager.failures.map((f) => f.plugin)).toEqual(["bad-wrapper"]);
  });

  it("bypasses a wrapper that fails after next() without running the inner implementations again", async () => {
    const { manager } = testManager();
    let inner = 0;
    manager.register({ name: "inner", hooks: { onTaskCreated: async () => (inner++, "r" as never) } });
    manager.register({
      name: "bad-wrapper",
      hooks: {
        onTaskCreated: {
          async wrapper(_args, next) {
            await next();
            throw new Error("wrapper broke late");
          },
        },
      },
    });
    expect(await manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect(inner).toBe(1);
    expect(manager.failures.map((f) => (f.error as Error).message)).toEqual(["wrapper broke late"]);
  });

  it("treats a wrapper that returns something other than a list as failed and uses the inner result", () => {
    const { manager } = testManager();
    manager.register({ name: "inner", hooks: { onTaskCreated: () => "r" as never } });
    manager.register({
      name: "forgetful",
      hooks: { onTaskCreated: { wrapper: (_a, next) => void next() as never } },
    });
    expect(manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect((manager.failures[0].error as Error).message).toBe(
      'Wrapper of plugin "forgetful" for hook "onTaskCreated" returned undefined; return the value of next() or a replacement list',
    );
  });

  it("does not let an inner failure reach the wrappers in isolation mode", async () => {
    const { manager } = testManager();
    let sawError = false;
    manager.register({ name: "inner", hooks: { onTaskCreated: () => Promise.reject(new Error("inner")) } });
    manager.register({
      name: "w",
      hooks: {
        onTaskCreated: {
          async wrapper(_a, next) {
            try {
              return await next();
            } catch (error) {
              sawError = true;
              throw error;
            }
          },
        },
      },
    });
    expect(await manager.hook.onTaskCreated(args)).toEqual([]);
    expect(sawError).toBe(false);
    expect(manager.failures.map((f) => f.plugin)).toEqual(["inner"]);
  });
});

describe("timeouts", () => {
  it("aborts the signal, records the timeout, goes on, and ignores a late result", async () => {
    const { manager, log } = testManager({ timeoutMs: 20 });
    let signal: AbortSignal | undefined;
    let finishedLate = false;
    manager.register({
      name: "hangs",
      hooks: {
        async onTaskCreated(_a, ctx) {
          signal = ctx.signal;
          await sleep(80);
          finishedLate = true;
          return "late" as never;
        },
      },
    });
    manager.register({ name: "next", hooks: { onTaskCreated: () => "on time" as never } });
    const result = await manager.hook.onTaskCreated(args);
    expect(result).toEqual(["on time"]);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(HookTimeoutError);
    expect(manager.failures).toHaveLength(1);
    expect(manager.failures[0]).toMatchObject({ plugin: "hangs", kind: "timeout" });
    expect(log.at("error")[0]).toBe(
      'Plugin "hangs" did not finish hook "onTaskCreated" within 20 ms; the call went on without it',
    );
    await sleep(100);
    expect(finishedLate).toBe(true);
    expect(manager.stats()[0]).toMatchObject({ name: "hangs", timeouts: 1, errors: 0, calls: 1 });
    expect(log.at("debug")).toContain(
      'Plugin "hangs" returned from hook "onTaskCreated" after its deadline; ignored',
    );
  });

  it("takes the implementation's deadline over the hook's and the hook's over the manager's", async () => {
    const { manager } = testManager({ timeoutMs: 10_000 });
    const hooked = manager.addHookSpecs(
      {
        quick: (await import("../src/spec.ts")).defineHookSpec({
          args: (await import("valibot")).object({}),
          doc: "A hook with a short deadline.",
          timeoutMs: 15,
        }),
      },
      "test",
    );
    hooked.register({ name: "per-hook", hooks: { quick: () => sleep(200) } });
    hooked.register({
      name: "per-impl",
      hooks: { quick: { handler: () => sleep(60).then(() => "made it"), timeoutMs: 150 } },
    });
    hooked.register({
      name: "manager-default",
      hooks: { onAgentDied: { handler: () => sleep(30), timeoutMs: 5 } },
    });
    expect(await hooked.hook.quick({})).toEqual(["made it"]);
    await hooked.hook.onAgentDied({ agentId: "a", reason: "r" });
    expect(hooked.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual([
      "per-hook:timeout",
      "manager-default:timeout",
    ]);
  });

  it("times out a wrapper and falls back to the inner result", async () => {
    const { manager } = testManager({ timeoutMs: 20 });
    let inner = 0;
    manager.register({ name: "inner", hooks: { onTaskCreated: () => (inner++, "r" as never) } });
    manager.register({
      name: "slow-wrapper",
      hooks: {
        onTaskCreated: {
          async wrapper(_a, next) {
            const result = await next();
            await sleep(100);
            return result;
          },
        },
      },
    });
    expect(await manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect(inner).toBe(1);
    expect(manager.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual(["slow-wrapper:timeout"]);
  });

  it("aborts the signal of an implementation that reads ctx through a default or rest parameter", async () => {
    const { manager } = testManager({ timeoutMs: 15 });
    const signals: AbortSignal[] = [];
    manager.register({
      name: "defaulted",
      hooks: {
        // deno-lint-ignore no-explicit-any
        onTaskCreated: (_args: unknown, ctx: any = undefined) => (signals.push(ctx.signal), sleep(60)),
      },
    });
    manager.register({
      name: "rest",
      hooks: {
        onTaskCreated: (
          ...all: unknown[]
        ) => (signals.push((all[1] as { signal: AbortSignal }).signal), sleep(60)),
      },
    });
    await manager.hook.onTaskCreated(args);
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
  });
});

describe("circuit breaker", () => {
  it("suspends a plugin after the configured consecutive failures, logs once, and resumes", async () => {
    const { manager, log } = testManager({ circuitBreaker: 3, timeoutMs: 10 });
    let calls = 0;
    let mode: "throw" | "hang" | "ok" = "throw";
    manager.register({
      name: "flaky",
      hooks: {
        onTaskCreated() {
          calls++;
          if (mode === "throw") throw new Error("boom");
          if (mode === "hang") return sleep(50) as never;
        },
      },
    });
    manager.hook.onTaskCreated(args);
    manager.hook.onTaskCreated(args);
    mode = "hang";
    await manager.hook.onTaskCreated(args);
    expect(calls).toBe(3);
    expect(manager.stats()[0]).toMatchObject({
      suspended: true,
      consecutiveFailures: 3,
      errors: 2,
      timeouts: 1,
    });
    expect(manager.list()[0].suspended).toBe(true);
    manager.hook.onTaskCreated(args);
    manager.hook.onTaskCreated(args);
    expect(calls).toBe(3);
    const suspensions = log.at("error").filter((line) => line.includes("suspended"));
    expect(suspensions).toEqual([
      'Plugin "flaky" suspended after 3 consecutive failures; fix it and call resume("flaky") to enable it again',
    ]);
    mode = "ok";
    manager.resume("flaky");
    manager.hook.onTaskCreated(args);
    expect(calls).toBe(4);
    expect(manager.stats()[0]).toMatchObject({ suspended: false, consecutiveFailures: 0 });
  });

  it("resets the count on success, so only consecutive failures count", () => {
    const { manager } = testManager({ circuitBreaker: 2 });
    let fail = true;
    manager.register({
      name: "alternating",
      hooks: {
        onAgentDied() {
          const now = fail;
          fail = !fail;
          if (now) throw new Error("odd");
        },
      },
    });
    for (let i = 0; i < 6; i++) manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    expect(manager.stats()[0]).toMatchObject({ suspended: false, errors: 3, calls: 6 });
  });

  it("suspends wrappers too, and the call goes straight to the inner implementations", () => {
    const { manager } = testManager({ circuitBreaker: 1 });
    let wrapperCalls = 0;
    manager.register({ name: "inner", hooks: { onTaskCreated: () => "r" as never } });
    manager.register({
      name: "w",
      hooks: {
        onTaskCreated: {
          wrapper() {
            wrapperCalls++;
            throw new Error("no");
          },
        },
      },
    });
    expect(manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect(manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect(wrapperCalls).toBe(1);
  });

  it("can be turned off", () => {
    const { manager } = testManager({ circuitBreaker: false });
    manager.register({
      name: "always-fails",
      hooks: {
        onAgentDied() {
          throw new Error("x");
        },
      },
    });
    for (let i = 0; i < 20; i++) manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    expect(manager.stats()[0]).toMatchObject({ suspended: false, errors: 20 });
  });

  it("refuses to resume a plugin that is not registered", () => {
    const { manager } = testManager();
    expect(() => manager.resume("ghost")).toThrow('Cannot resume plugin "ghost": it is not registered');
  });
});

describe("strict mode", () => {
  it("propagates a synchronous throw and stops the call", () => {
    const { manager } = testManager({ onError: "throw" });
    const seen: string[] = [];
    manager.register({
      name: "broken",
      hooks: {
        onTaskCreated() {
          throw new Error("strict boom");
        },
      },
    });
    manager.register({ name: "after", hooks: { onTaskCreated: () => void seen.push("after") } });
    expect(() => manager.hook.onTaskCreated(args)).toThrow("strict boom");
    expect(seen).toEqual([]);
    expect(manager.failures).toHaveLength(1);
  });

  it("rejects with an async error and with a timeout", async () => {
    const { manager } = testManager({ onError: "throw", timeoutMs: 10 });
    manager.register({
      name: "rejects",
      hooks: { onTaskCreated: () => Promise.reject(new Error("async strict")) },
    });
    await expect(manager.hook.onTaskCreated(args)).rejects.toThrow("async strict");
    manager.register({ name: "hangs", hooks: { onAgentDied: () => sleep(100) } });
    await expect(manager.hook.onAgentDied({ agentId: "a", reason: "r" })).rejects.toBeInstanceOf(
      HookTimeoutError,
    );
  });

  it("lets a wrapper see and change the error an inner implementation raises", async () => {
    const { manager } = testManager({ onError: "throw" });
    manager.register({
      name: "inner",
      hooks: { onTaskCreated: () => Promise.reject(new Error("inner failed")) },
    });
    manager.register({
      name: "translator",
      hooks: {
        onTaskCreated: {
          async wrapper(_a, next) {
            try {
              return await next();
            } catch (error) {
              throw new Error(`translated: ${(error as Error).message}`);
            }
          },
        },
      },
    });
    await expect(manager.hook.onTaskCreated(args)).rejects.toThrow("translated: inner failed");
  });

  it("does not count an inner error a wrapper lets through as the wrapper's failure", async () => {
    const { manager } = testManager({ onError: "throw" });
    manager.register({
      name: "inner",
      hooks: {
        onTaskCreated() {
          throw new Error("inner only");
        },
      },
    });
    manager.register({
      name: "passthrough",
      hooks: { onTaskCreated: { wrapper: (_a, next) => next() } },
    });
    expect(() => manager.hook.onTaskCreated(args)).toThrow("inner only");
    expect(manager.failures.map((f) => f.plugin)).toEqual(["inner"]);
  });
});
