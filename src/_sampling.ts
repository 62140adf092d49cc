// How often the fast paths time a call. Timing a call reads the clock around each
// implementation, and a clock read (performance.now) costs 30-70 ns: far more
// than a trivial implementation, less than any real one. So the interval adapts:
// after each timed call it is set so that the clock reads cost at most about 2%
// of the calls they stand for. Plugins that do real work (microseconds and up) are
// timed on every call or nearly, and their statistics are exact; a list of trivial
// implementations is timed once in up to 4096 calls. The first call after each
// change of registration is always timed.

/** The most calls one timed call may stand for. */
export const MAX_INTERVAL = 4096;

/** The share of a hook's time that the clock reads may take. */
const BUDGET = 0.02;

let clockNs: number | undefined;

/** What one performance.now() costs here, in nanoseconds (measured once). */
function clockCost(): number {
  if (clockNs === undefined) {
    const reads = 64;
    const start = performance.now();
    for (let i = 1; i < reads; i++) performance.now();
    clockNs = Math.max(10, ((performance.now() - start) / reads) * 1e6);
  }
  return clockNs;
}

/**
 * The number of calls until the next timed one, from a timed call that took
 * `elapsedMs` for `implementations` implementations (their clock reads included).
 * The interval at most doubles from one timed call to the next, so that the first
 * calls (slow while the code is cold) are followed by enough others to outweigh them.
 */
export function nextInterval(elapsedMs: number, implementations: number, previous: number): number {
  const clock = clockCost();
  // Each implementation's share, without the two clock reads around it.
  const work = (elapsedMs * 1e6) / Math.max(1, implementations) - 2 * clock;
  // Below one clock read the estimate is noise: as cheap as can be, so sample less and less.
  const wanted = work < clock ? MAX_INTERVAL : Math.ceil((2 * clock) / (BUDGET * work));
  return Math.max(1, Math.min(wanted, 2 * previous, MAX_INTERVAL));
}
