// The one deadline mechanism: pending implementations, pending wrappers and plugins
// shutting down are all watched here, without a timer, an allocation or a clock
// read each. A wheel per distinct timeout watches the asynchronous calls whose
// current implementation has that timeout. It ticks every timeout/16 ms while it
// watches anything, reading the clock once per tick. A call notes the tick count
// when its current implementation started (one field write); that implementation
// is due once a tick finds that the tick after its start lies `timeout` ms or more
// in the past. So a deadline is never early, and late by at most two ticks (1/8 of
// the timeout: the start is dated to the tick after it) plus
// timer jitter, without drift under load.
import { host, type HostInterval } from "./runtime/host.ts";

/** Something that can time out: a pending call, wrapper or shutdown. */
export interface Watched {
  /**
   * Which implementation the call is waiting for. The call only moves this on;
   * the wheel sees the change at its next tick and dates the start to the tick
   * before, which is what the call would have read from the wheel itself.
   */
  readonly index: number;
  /** The index the wheel last saw. */
  seenIndex: number;
  /** The wheel's tick count when the current implementation started (at the latest). */
  sinceTick: number;
  /** Position in the wheel's list, kept by the wheel. */
  watchIndex: number;
  /** Time already used before it was watched (a wrapper whose clock stopped), counted towards the deadline. */
  readonly usedMs: number;
  /** The current implementation is due. */
  expire(): void;
}

const TICKS_PER_TIMEOUT = 16;
const HISTORY = 64;

/** All wheels of one runner, keyed by timeout. */
export class Deadlines {
  private readonly wheels = new Map<number, Wheel>();

  /** The wheel for a timeout, made on first use. */
  wheel(timeoutMs: number): Wheel {
    let wheel = this.wheels.get(timeoutMs);
    if (wheel === undefined) this.wheels.set(timeoutMs, wheel = new Wheel(timeoutMs));
    return wheel;
  }

  /**
   * Settles like `work`, or rejects with `onTimeout()` once `timeoutMs` have passed.
   *
   * @param work What to wait for.
   * @param timeoutMs The deadline.
   * @param onTimeout The error to reject with.
   * @returns A promise of `work`'s value.
   */
  race<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const wheel = this.wheel(timeoutMs);
      let watching = true;
      const done = (): void => {
        if (watching) wheel.unwatch(item);
        watching = false;
      };
      const item: Watched = {
        index: 0,
        seenIndex: 0,
        sinceTick: 0,
        watchIndex: -1,
        usedMs: 0,
        expire: () => {
          done();
          reject(onTimeout());
        },
      };
      wheel.watch(item);
      work.then((value) => (done(), resolve(value)), (error) => (done(), reject(error)));
    });
  }

  /** Lets the process exit: idle wheels stop, busy ones stop holding the process open. */
  release(): void {
    for (const wheel of this.wheels.values()) wheel.release();
  }
}

/** One wheel: the calls it watches and the interval that checks them. */
export class Wheel {
  /** The deadline this wheel watches for. */
  readonly timeoutMs: number;
  /** Ticks so far; a watched call's sinceTick is compared with it. */
  ticks = 0;
  private readonly watched: Watched[] = [];
  /** Clock readings of the last HISTORY ticks, by tick number modulo HISTORY. */
  private readonly times: number[] = new Array(HISTORY).fill(0);
  private idleTicks = 0;
  private timer: HostInterval | undefined;
  private refed = false;
  private readonly tickMs: number;

  /**
   * A wheel that does not tick until it watches something.
   *
   * @param timeoutMs The deadline this wheel watches for.
   */
  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.tickMs = Math.max(1, timeoutMs / TICKS_PER_TIMEOUT);
  }

  /** Starts watching a call, from now. */
  watch(item: Watched): void {
    item.sinceTick = this.ticks;
    item.seenIndex = item.index;
    item.watchIndex = this.watched.push(item) - 1;
    if (this.timer === undefined) {
      this.times[this.ticks % HISTORY] = performance.now();
      this.timer = host.interval(() => this.tick(), this.tickMs);
      this.refed = true;
    } else if (!this.refed) {
      this.timer.ref();
      this.refed = true;
    }
  }

  /** Stops watching a call: it ended or moved to another wheel. */
  unwatch(item: Watched): void {
    const last = this.watched.pop()!;
    if (last !== item) {
      this.watched[item.watchIndex] = last;
      last.watchIndex = item.watchIndex;
    }
    // Nothing left to time out: the timer must not keep the process alive.
    if (this.watched.length === 0 && this.refed) {
      this.timer?.unref();
      this.refed = false;
    }
  }

  /** Clears the timer when idle, else stops it from holding the process open. */
  release(): void {
    if (this.watched.length === 0) this.stop();
    else if (this.refed) {
      this.timer?.unref();
      this.refed = false;
    }
  }

  /** Stops the timer. */
  private stop(): void {
    this.timer?.clear();
    this.timer = undefined;
  }

  /** Reads the clock once and expires the calls whose deadline has passed. */
  private tick(): void {
    const now = performance.now();
    const tick = ++this.ticks;
    this.times[tick % HISTORY] = now;
    const watched = this.watched;
    for (let i = watched.length - 1; i >= 0; i--) {
      const item = watched[i];
      if (item.index !== item.seenIndex) {
        // Waiting for another implementation, which started after the last tick.
        item.seenIndex = item.index;
        item.sinceTick = tick - 1;
        continue;
      }
      // The tick after the implementation started is an upper bound of its start.
      const after = item.sinceTick + 1;
      if (after > tick) continue;
      const bound = tick - after < HISTORY ? this.times[after % HISTORY] : -Infinity;
      if (now - bound + item.usedMs >= this.timeoutMs) item.expire();
    }
    if (watched.length > 0) {
      this.idleTicks = 0;
      return;
    }
    // Nothing watched: do not hold the process open; stop after a few idle ticks.
    if (this.refed) {
      this.timer?.unref();
      this.refed = false;
    }
    if (++this.idleTicks > 2) this.stop();
  }
}
