import { describe, expect, it } from "vitest";
import { Deadlines } from "../src/_deadlines.ts";
import { sleep } from "./_helpers.ts";

describe("deadline wheels", () => {
  it("expire an entry after its timeout, never before, and at most a sixteenth late", async () => {
    const deadlines = new Deadlines();
    const expired: number[] = [];
    const started = performance.now();
    deadlines.add({ expire: () => void expired.push(performance.now() - started) }, 1, 160);
    await sleep(150);
    expect(expired).toEqual([]);
    await sleep(120);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toBeGreaterThanOrEqual(158); // timers may fire a hair early on a busy machine
  });

  it("share one wheel per timeout however many entries are pending, and skip settled ones", async () => {
    const deadlines = new Deadlines();
    const expired: number[] = [];
    const wheels = new Set();
    for (let i = 0; i < 1000; i++) {
      const wheel = deadlines.add({ expire: (token) => void expired.push(token) }, i, 40);
      wheels.add(wheel);
      if (i % 2 === 0) wheel.settled();
    }
    expect(wheels.size).toBe(1);
    await sleep(80);
    // Every entry comes due; only the caller's token check tells settled ones apart.
    expect(expired).toHaveLength(1000);
  });
});
