// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeTask, testManager } from "./_helpers.ts";

const task = makeTask();

/** Busy-waits, so that the duration is real synchronous work. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* working */ }
}

/**
 * Runs `warm` then `counted`, and returns how many clock reads `counted` made.
 * The counting wrapper is as thin as can be: a heavier spy would make the reads
 * themselves look like work worth timing. Counted once the code is warm: while it
 * runs unoptimised, implementations are slow enough to be timed more often, as
 * they should be.
 */
function clockReads(warm: () => void, counted: () => void): number {
  const real = performance.now.bind(performance);
  let reads = 0;
  performance.now = () => (reads++, real());
  try {
    warm();
    reads = 0;
    counted();
  } finally {
    performance.now = real;
  }
  return reads;
}

describe("synchronous path", () => {
  afterEach(() => void vi.restoreAllMocks());

  it("returns a plain value, not a promise, when every implementation is synchronous", () => {
    const { manager } = testManager();
    manager.register({ name: "a", hooks: { onTaskCreated: () => 1 as never } });
    manager.register({ name: "b", hooks: { onTaskCreated: { handler: () => 2 as never, tryLast: false } } });
    const result = manager.hook.onTaskCreated({ task });
    expect(result).toEqual([1, 2]);
  });

  it("stays synchronous through synchronous wrappers", () => {
    const { manager } = testManager();
    manager.register({ name: "a", hooks: { onTaskCreated: () => "inner" as never } });
    manager.register({
      name: "w",
      hooks: { onTaskCreated: { wrapper: (_args, next) => [...(next() as unknown[]), "wrapped"] } },
    });
    expect(manager.hook.onTaskCreated({ task })).toEqual(["inner", "wrapped"]);
  });

  it("starts no timer and creates no promise for synchronous implementations", () => {
    const { manager } = testManager();
    const timeout = vi.spyOn(globalThis, "setTimeout");
    const interval = vi.spyOn(globalThis, "setInterval");
    for (let i = 0; i < 5; i++) {
      manager.register({
        name: `sync${i}`,
        hooks: { onTaskCreated: () => undefined },
      });
    }
    const result = manager.hook.onTaskCreated({ task });
    expect(result).not.toBeInstanceOf(Promise);
    expect(timeout).not.toHaveBeenCalled();
    expect(interval).not.toHaveBeenCalled();
  });

  it("goes async only from the first implementation that returns a promise", async () => {
    const { manager } = testManager();
    const seen: string[] = [];
    manager.register({ name: "s1", hooks: { onTaskCreated: () => void seen.push("s1") } });
    manager.register({ name: "a1", hooks: { onTaskCreated: async () => void seen.push("a1") } });
    manager.register({ name: "s2", hooks: { onTaskCreated: () => void seen.push("s2") } });
    const pending = manager.hook.onTaskCreated({ task });
    // s1 ran and a1 started synchronously; s2 waits for a1 to settle.
    expect(seen).toEqual(["s1", "a1"]);
    await pending;
    expect(seen).toEqual(["s1", "a1", "s2"]);
  });

  it("gives a fresh context per invocation to any implementation that can read it", () => {
    const { manager } = testManager();
    const viaRest: unknown[] = [];
    const declared: unknown[] = [];
    manager.register({
      name: "p",
      hooks: {
        onTaskCreated(...all: unknown[]) {
          viaRest.push(all[1]);
        },
        onAgentDied(_args, ctx) {
          declared.push(ctx);
        },
      },
    });
    for (let i = 0; i < 2; i++) {
      manager.hook.onTaskCreated({ task });
      manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    }
    expect(viaRest[0]).not.toBe(viaRest[1]);
    expect(declared[0]).not.toBe(declared[1]);
    expect(viaRest[0]).toMatchObject({ plugin: "p", hook: "onTaskCreated" });
    expect(declared[0]).toMatchObject({ plugin: "p", hook: "onAgentDied" });
  });
});

describe("long call lists", () => {
  it("keep order, isolation and firstResult across the generated chunks of 16", async () => {
    const { manager } = testManager({ timeoutMs: 30 });
    const seen: number[] = [];
    for (let i = 0; i < 40; i++) {
      const hook = i === 20
        ? () => {
          seen.push(i);
          throw new Error("twenty");
        }
        : i === 33
        ? async () => void seen.push(i)
        : i === 36
        ? () => new Promise(() => seen.push(i)) // never settles: times out
        : () => void seen.push(i);
      manager.register({
        name: `p${i}`,
        hooks: { onTaskCreated: i % 7 === 0 ? { handler: hook, tryLast: true } : hook },
      });
    }
    await manager.hook.onTaskCreated({ task });
    const plain = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 7 !== 0);
    const last = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 7 === 0);
    expect(seen).toEqual([...plain, ...last]);
    expect(manager.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual(["p20:error", "p36:timeout"]);
  });

  it("return the first answer from deep inside a long list", () => {
    const { manager } = testManager();
    const m = manager;
    for (let i = 0; i < 50; i++) {
      m.register({
        name: `p${i}`,
        hooks: { onAgentDied: () => (i === 45 ? `answer ${i}` : undefined) as never },
      });
    }
    expect(m.hook.onAgentDied({ agentId: "a", reason: "r" })).toEqual(["answer 45"]);
  });
});

describe("sampled durations", () => {
  it("time every implementation of a sampled call and scale the total to all calls", () => {
    const { manager } = testManager();
    manager.register({ name: "slow", hooks: { onTaskCreated: () => busy(2) } });
    manager.register({ name: "fast", hooks: { onTaskCreated: () => undefined } });
    for (let i = 0; i < 32; i++) manager.hook.onTaskCreated({ task });
    const [slow, fast] = manager.stats();
    expect(slow).toMatchObject({ name: "slow", calls: 32, errors: 0 });
    expect(fast).toMatchObject({ name: "fast", calls: 32 });
    // Two of the 32 calls were timed; each counts for sixteen.
    expect(slow.totalMs).toBeGreaterThanOrEqual(64);
    expect(slow.maxMs).toBeGreaterThanOrEqual(2);
    expect(fast.totalMs).toBeLessThan(slow.totalMs / 10);
  });

  it("time the first call of an implementation registered later", () => {
    const { manager } = testManager();
    manager.register({ name: "early", hooks: { onTaskCreated: () => undefined } });
    for (let i = 0; i < 5; i++) manager.hook.onTaskCreated({ task });
    manager.register({ name: "late", hooks: { onTaskCreated: () => busy(3) } });
    manager.hook.onTaskCreated({ task });
    const late = manager.stats().find((s) => s.name === "late")!;
    expect(late.calls).toBe(1);
    expect(late.maxMs).toBeGreaterThanOrEqual(3);
    expect(late.totalMs).toBeGreaterThanOrEqual(3);
  });

  it("time every call with timing: every-call", () => {
    const { manager } = testManager({ timing: "every-call" });
    let n = 0;
    manager.register({ name: "p", hooks: { onTaskCreated: () => void (++n === 7 && busy(5)) } });
    const began = performance.now();
    for (let i = 0; i < 10; i++) manager.hook.onTaskCreated({ task });
    const wallMs = performance.now() - began;
    const [stats] = manager.stats();
    expect(stats.maxMs).toBeGreaterThanOrEqual(5);
    expect(stats.totalMs).toBeGreaterThanOrEqual(5);
    // Every call timed, none scaled: the total fits in the time the calls took.
    expect(stats.totalMs).toBeLessThanOrEqual(wallMs);
  });
});

describe("adaptive sampling", () => {
  it("reads the clock rarely for trivial implementations", () => {
    const { manager } = testManager();
    for (let i = 0; i < 10; i++) {
      manager.register({
        name: `p${i}`,
        hooks: { onTaskCreated: () => undefined },
      });
    }
    const calls = (n: number) => () => {
      for (let i = 0; i < n; i++) manager.hook.onTaskCreated({ task });
    };
    const reads = clockReads(calls(40_000), calls(20_000));
    // One call in sixteen would read it 27,500 times (two reads per implementation, two per call).
    // Measured: ~110 on Node; ~1,000 on Deno, where the counting wrapper itself
    // slows each read enough to make the calls look worth timing more often.
    expect(reads).toBeLessThan(27_500 / 8);
    expect(manager.stats().map((s) => s.calls)).toEqual(Array(10).fill(60_000));
  });

  it("times every call of implementations that do real work, so their totals are exact", () => {
    const { manager } = testManager();
    manager.register({ name: "worker", hooks: { onTaskCreated: () => busy(0.3) } });
    const began = performance.now();
    for (let i = 0; i < 40; i++) manager.hook.onTaskCreated({ task });
    const wallMs = performance.now() - began;
    const [stats] = manager.stats();
    expect(stats.totalMs).toBeGreaterThanOrEqual(40 * 0.3);
    // Exact, not scaled: no more than the time the calls took (a scaled sample overshoots it).
    expect(stats.totalMs).toBeLessThanOrEqual(wallMs);
  });

  it("times calls through wrappers the same way: exactly when they work, rarely when trivial", () => {
    const { manager } = testManager();
    manager.register({ name: "plain", hooks: { onTaskCreated: () => undefined } });
    manager.register({
      name: "slow-wrapper",
      hooks: { onTaskCreated: { wrapper: (_args, next) => (busy(0.3), next()) } },
    });
    const began = performance.now();
    for (let i = 0; i < 40; i++) manager.hook.onTaskCreated({ task });
    const wallMs = performance.now() - began;
    const wrapper = manager.stats().find((s) => s.name === "slow-wrapper")!;
    expect(wrapper.calls).toBe(40);
    expect(wrapper.totalMs).toBeGreaterThanOrEqual(40 * 0.3);
    expect(wrapper.totalMs).toBeLessThanOrEqual(wallMs);

    const { manager: trivial } = testManager();
    trivial.register({ name: "plain", hooks: { onTaskCreated: () => undefined } });
    trivial.register({ name: "w", hooks: { onTaskCreated: { wrapper: (_args, next) => next() } } });
    const calls = (n: number) => () => {
      for (let i = 0; i < n; i++) trivial.hook.onTaskCreated({ task });
    };
    const reads = clockReads(calls(40_000), calls(20_000));
    // One call in sixteen would read it 5,000 times for the wrapper alone (four reads
    // each). Measured: ~50 on Node, ~1,100 on Deno (see the counting wrapper above).
    expect(reads).toBeLessThan(5_000 / 2);
  });

  it("counts the calls made while a timed call was pending", async () => {
    const { manager } = testManager();
    manager.register({
      name: "p",
      hooks: {
        onTaskCreated: () => new Promise<void>((resolve) => setTimeout(resolve, 20)),
        onTaskClaimed: () => undefined,
      },
    });
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 30 }, () => manager.hook.onTaskCreated({ task })));
      for (let i = 0; i < 200; i++) manager.hook.onTaskClaimed({ task, agentId: "a" });
    }
    const [stats] = manager.stats();
    expect(stats.calls).toBe(3 * 230);
    // 90 calls of about 20 ms each, all concurrent within a round: each lasted 20 ms or more.
    expect(stats.totalMs).toBeGreaterThanOrEqual(90 * 19);
  });

  it("weighs a call timed for a monitor as one call, even when it settles after the monitor is gone", async () => {
    const { manager } = testManager();
    let slow = false;
    manager.register({
      name: "p",
      hooks: {
        onTaskCreated: () => slow ? new Promise<void>((resolve) => setTimeout(resolve, 50)) : undefined,
      },
    });
    for (let i = 0; i < 20_000; i++) manager.hook.onTaskCreated({ task });
    const stop = manager.monitor({});
    slow = true;
    const pending = manager.hook.onTaskCreated({ task });
    stop();
    await pending;
    const [stats] = manager.stats();
    expect(stats.maxMs).toBeGreaterThanOrEqual(49);
    expect(stats.totalMs).toBeLessThan(500);
  });

  it("times every call through wrappers with timing: every-call, concurrent ones too", async () => {
    const { manager } = testManager({ timing: "every-call" });
    manager.register({ name: "plain", hooks: { onTaskCreated: () => undefined } });
    let k = 0;
    manager.register({
      name: "w",
      hooks: {
        onTaskCreated: {
          wrapper: async (_args, next) => {
            busy(k++);
            return await next();
          },
        },
      },
    });
    await Promise.all(Array.from({ length: 10 }, () => manager.hook.onTaskCreated({ task })));
    const wrapper = manager.stats().find((s) => s.name === "w")!;
    expect(wrapper.maxMs).toBeGreaterThanOrEqual(9);
    expect(wrapper.totalMs).toBeGreaterThanOrEqual(45);
  });

  /**
   * Calls a trivial implementation 30,000 times and, at the first timed call after the
   * 20,000th, has it spin `spikeMs` (then `afterMs` on every later call). A call is timed
   * when the clock was read during it before the implementation ran: untimed calls read none.
   */
  function spikeOnTimedCall(spikeMs: number, afterMs: number) {
    const { manager } = testManager();
    const real = performance.now.bind(performance);
    let reads = 0;
    let readsBefore = 0;
    let armed = false;
    let spikedAt = -1;
    let calls = 0;
    const spin = (ms: number) => {
      const end = real() + ms;
      while (real() < end) { /* working */ }
    };
    manager.register({
      name: "p",
      hooks: {
        onTaskCreated: () => {
          calls++;
          if (spikedAt >= 0) spin(afterMs);
          else if (armed && reads !== readsBefore) (spikedAt = calls, spin(spikeMs));
        },
      },
    });
    performance.now = () => (reads++, real());
    let began = 0;
    try {
      for (let i = 0; i < 30_000; i++) {
        if (i === 20_000) (armed = true, began = real());
        readsBefore = reads;
        manager.hook.onTaskCreated({ task });
      }
    } finally {
      performance.now = real;
    }
    return { stats: manager.stats()[0], spikedAt, wallMs: real() - began };
  }

  it("counts a sample that stands for many calls once when it is far slower than the one before (a preemption)", () => {
    const { stats, spikedAt } = spikeOnTimedCall(20, 0);
    // Timed calls come at most 4096 apart, so one came soon after the 20,000th.
    expect(spikedAt).toBeGreaterThan(20_000);
    expect(spikedAt).toBeLessThanOrEqual(20_000 + 4096);
    expect(stats.calls).toBe(30_000);
    expect(stats.maxMs).toBeGreaterThanOrEqual(20);
    expect(stats.totalMs).toBeGreaterThanOrEqual(20);
    // Standing for the hundreds or thousands of calls since the previous sample, it would read seconds.
    expect(stats.totalMs).toBeLessThan(60);
  });

  it("measures an implementation that really became slow in full after such a sample", () => {
    const { stats, spikedAt, wallMs } = spikeOnTimedCall(2, 0.05);
    expect(spikedAt).toBeGreaterThan(20_000);
    // Every call after the spike took 0.05 ms or more, and the samples that follow the spike
    // count in full: set apart too, they would leave the total near the trivial calls' ~1 ms.
    const slowCalls = 30_000 - spikedAt;
    expect(stats.totalMs).toBeGreaterThanOrEqual(0.9 * slowCalls * 0.05);
    expect(stats.totalMs).toBeLessThan(2 * wallMs);
  });

  it("does not let a slow first call stand for all the calls after it", () => {
    const { manager } = testManager();
    let n = 0;
    manager.register({ name: "cold", hooks: { onTaskCreated: () => void (++n === 1 && busy(20)) } });
    for (let i = 0; i < 5_000; i++) manager.hook.onTaskCreated({ task });
    const [stats] = manager.stats();
    expect(stats.maxMs).toBeGreaterThanOrEqual(20);
    expect(stats.totalMs).toBeGreaterThanOrEqual(20);
    // Scaled as one sample in sixteen, it would read 20 ms * 5000 / 313 = 320 ms.
    expect(stats.totalMs).toBeLessThan(60);
  });
});

describe("a call's promise", () => {
  it("belongs to its own call when a promise hook makes another call while it is made (Node's async_hooks)", async () => {
    const { createHook } = await import("node:async_hooks");
    const { manager } = testManager({ timeoutMs: 1_000 });
    manager.register({ name: "a", hooks: { onTaskCreated: async ({ task }) => task.id as never } });
    // The nested call is made at the n-th promise the outer call creates, for n = 1..4:
    // one of them is the call's own promise, whose executor runs right after.
    let countdown = 0;
    const inners: Promise<unknown>[] = [];
    const hook = createHook({
      init(_id, type) {
        if (countdown === 0 || type !== "PROMISE" || --countdown !== 0) return;
        inners.push(manager.hook.onTaskCreated({ task: makeTask({ id: "inner" }) }) as Promise<unknown>);
      },
    });
    // Warm: the first call of a list is timed; the untimed ones make their promise in one shared executor.
    for (let i = 0; i < 3; i++) await manager.hook.onTaskCreated({ task });
    const outers: Promise<unknown>[] = [];
    hook.enable();
    try {
      for (let i = 0; i < 4; i++) {
        countdown = i + 1;
        outers.push(manager.hook.onTaskCreated({ task: makeTask({ id: `outer-${i}` }) }) as Promise<unknown>);
        countdown = 0;
      }
    } finally {
      hook.disable();
    }
    expect(await Promise.all(outers)).toEqual(outers.map((_, i) => [`outer-${i}`]));
    // Deno's async_hooks do not report promises; Node's do, and the nested call gets its own answer.
    expect(await Promise.all(inners)).toEqual(inners.map(() => ["inner"]));
    expect(inners.length).toBe("Deno" in globalThis ? 0 : 4);
  });
});
