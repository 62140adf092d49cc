// Statistics and sampling (src/stats.ts).
import { describe, expect, it } from "vitest";
import { callManager } from "./_helpers.ts";

describe("statistics", () => {
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
