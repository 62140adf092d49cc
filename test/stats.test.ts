// Statistics and sampling (src/stats.ts): per-plugin counters, and the countdown
// that decides which calls are timed and how many calls a sample stands for.
import { describe, expect, it } from "vitest";
import { callManager, makeTask, sleep, testManager } from "./_helpers.ts";

const task = makeTask();
const args = { task };

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

describe("statistics", () => {
  it("counts calls, errors and timeouts, and sums and maximises durations per plugin", async () => {
    const { manager } = testManager({ timeoutMs: 20, circuitBreaker: false });
    let n = 0;
    manager.register({
      name: "mixed",
      hooks: {
        async onTaskCreated() {
          n++;
          if (n === 2) throw new Error("second fails");
          if (n === 3) await sleep(60);
          else await sleep(5);
        },
      },
    });
    manager.register({ name: "idle", hooks: { onAgentDied() {} } });
    for (let i = 0; i < 4; i++) await manager.hook.onTaskCreated(args);
    const [mixed, idle] = manager.stats();
    expect(mixed).toMatchObject({ name: "mixed", calls: 4, errors: 1, timeouts: 1, suspended: false });
    expect(mixed.maxMs).toBeGreaterThanOrEqual(15);
    expect(mixed.totalMs).toBeGreaterThanOrEqual(mixed.maxMs + 5);
    expect(idle).toMatchObject({ name: "idle", calls: 0, errors: 0, timeouts: 0, totalMs: 0, maxMs: 0 });
  });

  it("counts each timeout once at its own length, timed or not, never scaled like a sample", async () => {
    const m = callManager({ timeoutMs: 20, circuitBreaker: false });
    let hang = false;
    m.register({ name: "p", hooks: { collect: () => (hang ? new Promise(() => {}) : undefined) } });
    // Trivial calls first, so that calls are timed rarely and each sample stands for several.
    for (let i = 0; i < 40; i++) await m.hook.collect({ n: i });
    const before = m.stats()[0].totalMs;
    hang = true;
    const began = performance.now();
    // The first of these to be timed carries the weight of the untimed calls before it.
    for (let i = 0; i < 12; i++) await m.hook.collect({ n: i });
    const wallMs = performance.now() - began;
    const [stats] = m.stats();
    expect(stats).toMatchObject({ calls: 52, timeouts: 12 });
    expect(stats.maxMs).toBeGreaterThanOrEqual(20);
    // The timeouts add their own lengths and nothing else: at least their deadlines, and no more
    // than the time they took. Scaled by a weight, one would count two or more times over. The
    // bound is the measured wall time, not a constant, so a loaded machine cannot fail it.
    const added = stats.totalMs - before;
    expect(added).toBeGreaterThanOrEqual(12 * 20);
    expect(added).toBeLessThanOrEqual(wallMs + 0.5);
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
