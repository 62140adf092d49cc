// A thin layer over mitata's measure(): warm-up, many samples, the median in nanoseconds.
import { measure } from "mitata";

/** Median time of one call of `fn`, in nanoseconds (mitata: warm-up, adaptive sample count). */
export async function median(fn: () => unknown): Promise<number> {
  return (await timing(fn)).median;
}

/**
 * Median and mean time of one call of `fn`, in nanoseconds. The mean shows what a
 * median hides: a cost paid once in many calls (such as a sampled clock read).
 */
export async function timing(fn: () => unknown): Promise<{ median: number; mean: number }> {
  await warmUp(fn);
  const stats = await measure(fn, { min_cpu_time: 300e6, warmup_samples: 32 });
  return { median: stats.p50, mean: stats.avg };
}

/**
 * Runs `fn` for about 100 ms first. mitata's own warm-up samples are too few for
 * Deno's V8 to finish optimising a subject: without this, whichever subject is
 * measured first in a process reads 3x slow on Deno (80 ns against 24 ns when
 * measured again). Every subject gets the same.
 */
async function warmUp(fn: () => unknown): Promise<void> {
  const end = performance.now() + 100;
  while (performance.now() < end) {
    for (let i = 0; i < 1_000; i++) {
      const result = fn();
      if (result instanceof Promise) await result;
    }
  }
}

/** Formats nanoseconds for a table. */
export function formatNs(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(1)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  return `${(ns / 1_000_000).toFixed(2)} ms`;
}
