/**
 * Statistics: what each plugin's invocations cost, and how often a call is timed.
 *
 * Timing a call reads the clock around each implementation, and a clock read
 * (performance.now) costs 30-70 ns: far more than a trivial implementation, less
 * than any real one. So the interval adapts: after each timed call it is set so that
 * the clock reads cost at most about 2% of the calls they stand for. Plugins that do
 * real work (microseconds and up) are timed on every call or nearly, and their
 * statistics are exact; a list of trivial implementations is timed once in up to
 * 4096 calls. The first call after each change of registration is always timed.
 *
 * @module
 */

/** Counters kept for each registered plugin. */
export interface PluginStats {
  /** Invocations, whatever their outcome. */
  calls: number;
  /** Invocations that threw, rejected or returned an invalid result. */
  errors: number;
  /** Invocations that passed their deadline. */
  timeouts: number;
  /** Time spent in the plugin's implementations, in milliseconds. */
  totalMs: number;
  /** The longest single invocation, in milliseconds. */
  maxMs: number;
}

/**
 * What one implementation's invocations cost: kept per implementation, so that
 * each hook's samples are scaled to that hook's calls. @internal
 */
export interface ImplCounters {
  /** Invocations so far: they add up to the plugin's call count. */
  ticks: number;
  /** The invocations the timed ones stand for. */
  sampledCalls: number;
  /** The timed durations, each times its weight, in milliseconds. */
  sampledMs: number;
  /** Timeouts and outlying samples, counted one by one rather than scaled like samples. */
  exactCalls: number;
  /** Their total duration in milliseconds: measured, or a timeout's deadline when untimed. */
  exactMs: number;
  /** The duration of the last timed invocation, against which outliers are told (Infinity before the first). */
  lastSampleMs: number;
}

/**
 * Counters of an implementation not yet invoked.
 *
 * @returns Zeroed counters.
 */
export function newCounters(): ImplCounters {
  return { ticks: 0, sampledCalls: 0, sampledMs: 0, exactCalls: 0, exactMs: 0, lastSampleMs: Infinity };
}

/** An implementation's counters and its plugin's statistics. @internal */
export interface Counted extends ImplCounters {
  /** The plugin it belongs to. */
  readonly state: { readonly stats: PluginStats };
}

/**
 * Counts a timed invocation: its duration counts towards totalMs, weighted by the
 * invocations it stands for (1 when every call is timed, else the calls since the
 * previous timed one). Weights keep a cold first call from standing for all the
 * calls after it.
 *
 * A sample that stands for several calls and took far longer than the sample
 * before it counts once, as it is, like a timeout: on a trivial implementation
 * sampled one call in thousands, a single preemption or GC pause would otherwise
 * add seconds to the total. Only the first sample after a jump is set apart: if
 * the implementation really became slow, the next one is as slow and counts in
 * full (and comes soon, as the interval follows the duration).
 *
 * @example
 * ```ts
 * import { countSample, newCounters } from "./stats.ts";
 * const stats = { calls: 0, errors: 0, timeouts: 0, totalMs: 0, maxMs: 0 };
 * const record = { ...newCounters(), state: { stats } };
 * countSample(record, 2, 10);
 * if (record.sampledMs !== 20 || stats.maxMs !== 2) throw new Error("not counted");
 * ```
 *
 * @param record The implementation's counters.
 * @param durationMs How long it took, in milliseconds.
 * @param weight The calls it stands for.
 */
export function countSample(record: Counted, durationMs: number, weight: number): void {
  const stats = record.state.stats;
  if (durationMs > stats.maxMs) stats.maxMs = durationMs;
  const last = record.lastSampleMs;
  record.lastSampleMs = durationMs;
  if (weight > 1 && durationMs > OUTLIER * last) countExact(record, durationMs);
  else {
    record.sampledCalls += weight;
    record.sampledMs += durationMs * weight;
  }
}

/**
 * Counts an invocation once, as it is: a timeout (its measured length, or its
 * deadline when the call was not timed) or an outlying sample. Scaled like a sample,
 * one timeout would stand for the cheap calls before it; those are estimated from
 * the other samples instead.
 *
 * @param record The implementation's counters.
 * @param durationMs How long it took, in milliseconds.
 */
export function countExact(record: Counted, durationMs: number): void {
  record.exactCalls++;
  record.exactMs += durationMs;
  if (durationMs > record.state.stats.maxMs) record.state.stats.maxMs = durationMs;
}

/**
 * A plugin's calls: the invocations of all its implementations.
 *
 * @param records The plugin's implementations' counters.
 * @returns The sum of their ticks.
 */
export function callsOf(records: readonly ImplCounters[]): number {
  let calls = 0;
  for (const record of records) calls += record.ticks;
  return calls;
}

/**
 * A plugin's time: each implementation's sampled durations scaled to the calls
 * they stand for, plus the exact ones.
 *
 * @param records The plugin's implementations' counters.
 * @returns Milliseconds.
 */
export function totalMsOf(records: readonly ImplCounters[]): number {
  let total = 0;
  for (const r of records) {
    total += r.exactMs;
    if (r.sampledCalls > 0) total += r.sampledMs * (r.ticks - r.exactCalls) / r.sampledCalls;
  }
  return total;
}

/** The most calls one timed call may stand for. */
export const MAX_INTERVAL = 4096;

/**
 * How many times the previous sample's duration a sample standing for several
 * calls may take before it counts once, as an outlier, instead of for all of them.
 */
export const OUTLIER = 32;

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

/**
 * When the next call of one path (a hook's plain list, or its calls through
 * wrappers) is timed. Each call counts `until` down; the call that takes it to 0
 * or below is timed and stands for `planned - until` calls, its weight. @internal
 *
 * @example
 * ```ts
 * import { Countdown } from "./stats.ts";
 * const countdown = new Countdown(false);
 * // The first call is always timed, standing for itself.
 * if (countdown.take() !== 1) throw new Error("first call untimed");
 * ```
 */
export class Countdown {
  /** Calls until the next timed one. */
  until = 1;
  /** What `until` started from. */
  planned = 1;
  /** The last interval chosen, which the next may at most double. */
  private interval = 1;
  /** Bumped by each timed call and reset, so that a call settling late does not set a newer countdown. */
  private generation = 0;
  /** Time every call (`timing: "every-call"`). */
  private readonly everyCall: boolean;

  /**
   * A countdown whose first call is timed.
   *
   * @param everyCall Time every call (`timing: "every-call"`), each standing for itself.
   */
  constructor(everyCall: boolean) {
    this.everyCall = everyCall;
  }

  /**
   * Counts one call down.
   *
   * @returns 0 when the call is not timed, else the calls its duration stands for (its weight).
   */
  take(): number {
    return --this.until > 0 ? 0 : this.planned - this.until;
  }

  /** Times the next call: after a change of registration, so that a new implementation's first call is measured. */
  reset(): void {
    this.until = this.planned = this.interval = 1;
    this.generation++;
  }

  /**
   * Ends a timed call: sets the next countdown from how long it took (when it
   * settles, for a pending one). While a timed call is pending no other is picked
   * (the countdown stands at the maximum); when it settles, the calls made meanwhile
   * are added to what the next timed call stands for, so that no call goes unaccounted.
   *
   * @param start When the call started (performance.now()).
   * @param result The call's result, or a promise of it.
   * @param implementations How many implementations it ran.
   * @returns `result`, unchanged.
   */
  after(start: number, result: unknown, implementations: number): unknown {
    if (this.everyCall) {
      this.until = this.planned = this.interval = 1;
      return result;
    }
    const generation = ++this.generation;
    const previous = this.interval;
    if (!(result instanceof Promise)) {
      this.until = this.planned = this.interval = nextInterval(
        performance.now() - start,
        implementations,
        previous,
      );
      return result;
    }
    this.until = this.planned = MAX_INTERVAL;
    const adapt = () => {
      if (this.generation !== generation) return;
      const during = MAX_INTERVAL - this.until;
      this.until = this.interval = nextInterval(performance.now() - start, implementations, previous);
      this.planned = this.until + during;
    };
    result.then(adapt, adapt);
    return result;
  }
}
