// A thin layer over mitata's measure(): warm-up, many samples, the median in nanoseconds.
import { measure } from "mitata";

/** Median time of one call of `fn`, in nanoseconds (mitata: warm-up, adaptive sample count). */
export async function median(fn: () => unknown): Promise<number> {
  const stats = await measure(fn, { min_cpu_time: 300e6, warmup_samples: 32 });
  return stats.p50;
}

/** Formats nanoseconds for a table. */
export function formatNs(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(1)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  return `${(ns / 1_000_000).toFixed(2)} ms`;
}
