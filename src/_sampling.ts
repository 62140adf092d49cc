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
   * @param everyCall Time every call (`timing: "every-call"`).
   * @returns `result`, unchanged.
   */
  after(start: number, result: unknown, implementations: number, everyCall: boolean): unknown {
    if (everyCall) {
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
