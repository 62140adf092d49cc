import { describe, expect, it } from "vitest";
import { Deadlines } from "../src/_deadlines.ts";
import { sleep } from "./_helpers.ts";

describe("deadline wheels", () => {
  it("expire a watched call after its timeout, never before, and stop ticking when idle", async () => {
    const deadlines = new Deadlines();
    const wheel = deadlines.wheel(160);
    const expired: number[] = [];
    const started = performance.now();
    const item = {
      index: 0,
      seenIndex: 0,
      sinceTick: wheel.ticks,
      watchIndex: -1,
      usedMs: 0,
      expire() {
        expired.push(performance.now() - started);
        wheel.unwatch(item);
      },
    };
    wheel.watch(item);
    await sleep(150);
    // Due at 160 ms; a busy machine may run the tick late (even before this sleep ends), never early.
    expect(expired.every((ms) => ms >= 158)).toBe(true);
    for (let waited = 0; expired.length === 0 && waited < 3000; waited += 10) await sleep(10);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toBeGreaterThanOrEqual(158); // timers may fire a hair early
  });

  it("watch many calls on one wheel and expire only those still watched", async () => {
    const deadlines = new Deadlines();
    const wheel = deadlines.wheel(40);
    const expired: number[] = [];
    const items = Array.from({ length: 1000 }, (_, n) => {
      const item = {
        index: 0,
        seenIndex: 0,
        sinceTick: wheel.ticks,
        watchIndex: -1,
        usedMs: 0,
        expire: () => (expired.push(n), wheel.unwatch(item)),
      };
      return item;
    });
    for (const item of items) wheel.watch(item);
    for (let n = 0; n < 1000; n += 2) wheel.unwatch(items[n]);
    expect(deadlines.wheel(40)).toBe(wheel);
    for (let waited = 0; expired.length < 500 && waited < 3000; waited += 10) await sleep(10);
    expect(expired.sort((a, b) => a - b)).toEqual(items.map((_, n) => n).filter((n) => n % 2 === 1));
  });

  it("restart a call's clock when it moves on to its next implementation, never early for that one", async () => {
    const deadlines = new Deadlines();
    const wheel = deadlines.wheel(160);
    let expiredAt = -1;
    let movedAt = 0;
    const started = performance.now();
    const item = {
      index: 0,
      seenIndex: 0,
      sinceTick: 0,
      watchIndex: -1,
      usedMs: 0,
      expire() {
        expiredAt = performance.now() - started;
        wheel.unwatch(item);
      },
    };
    wheel.watch(item);
    // The first implementation settles after 120 ms; the next one hangs.
    await sleep(120);
    item.index = 1;
    movedAt = performance.now() - started;
    await sleep(150);
    // 270 ms after the start, but only 150 ms into the second implementation: not yet due
    // (unless a busy machine ran this sleep late, so only the final bound is checked).
    for (let waited = 0; expiredAt < 0 && waited < 3000; waited += 10) await sleep(10);
    // Measured from the start, it would have expired at 160 ms, before the move at ~120 + 158.
    expect(expiredAt - movedAt).toBeGreaterThanOrEqual(158);
  });
});
