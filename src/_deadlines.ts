// Deadlines for pending implementations without a timer each: a timing wheel per
// distinct timeout. A wheel ticks every timeout/16 ms while anything is pending;
// each tick closes the slot that collected the entries added since the last tick
// (stamping it with the clock) and expires the slots closed at least `timeout` ms
// ago. So a deadline is never early, and late by at most one tick plus timer
// jitter. Adding an entry is two array pushes: no clock read, no allocation.
import { clearInterval, setInterval } from "node:timers";

/** Something that can time out: the state of one asynchronous call. */
export interface Expirable {
  /** Called when the entry added with `token` is due; ignore it if `token` is stale. */
  expire(token: number): void;
}

const TICKS_PER_TIMEOUT = 16;

type Interval = ReturnType<typeof setInterval>;

interface Slot {
  items: Expirable[];
  tokens: number[];
  closedAt: number;
}

/** All wheels of one runner, keyed by timeout. */
export class Deadlines {
  private readonly wheels = new Map<number, Wheel>();

  /** The wheel for a timeout, made on first use. */
  wheel(timeoutMs: number): Wheel {
    let wheel = this.wheels.get(timeoutMs);
    if (wheel === undefined) this.wheels.set(timeoutMs, wheel = new Wheel(timeoutMs));
    return wheel;
  }

  /** Registers a pending entry; returns the wheel, to be told when the entry settles. */
  add(item: Expirable, token: number, timeoutMs: number): Wheel {
    const wheel = this.wheel(timeoutMs);
    wheel.add(item, token);
    return wheel;
  }

  /** Stops every wheel's timer (pending entries then never expire). */
  stop(): void {
    for (const wheel of this.wheels.values()) wheel.stop();
  }
}

/** One timing wheel. */
export class Wheel {
  private current: Slot = slot();
  private readonly closed: Slot[] = [];
  private readonly spare: Slot[] = [];
  /** Entries added and not yet settled or expired. */
  private live = 0;
  private idleTicks = 0;
  private timer: Interval | undefined;
  private refed = false;
  private readonly tickMs: number;

  constructor(private readonly timeoutMs: number) {
    this.tickMs = Math.max(1, timeoutMs / TICKS_PER_TIMEOUT);
  }

  /** Adds an entry to the open slot. */
  add(item: Expirable, token: number): void {
    this.current.items.push(item);
    this.current.tokens.push(token);
    this.live++;
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.refed = true;
    } else if (!this.refed) {
      this.timer.ref();
      this.refed = true;
    }
  }

  /** An entry settled before its deadline; its slot entry goes stale. */
  settled(): void {
    this.live--;
  }

  /** An entry expired (called by the expiring item, for live entries only). */
  expired(): void {
    this.live--;
  }

  /** Clears the timer. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = performance.now();
    if (this.current.items.length > 0) {
      this.current.closedAt = now;
      this.closed.push(this.current);
      this.current = this.spare.pop() ?? slot();
    }
    while (this.closed.length > 0 && this.closed[0].closedAt + this.timeoutMs <= now) {
      const due = this.closed.shift()!;
      // expire() may add entries for the next implementation: those go to the open slot.
      for (let i = 0; i < due.items.length; i++) due.items[i].expire(due.tokens[i]);
      due.items.length = 0;
      due.tokens.length = 0;
      this.spare.push(due);
    }
    if (this.live > 0) {
      this.idleTicks = 0;
      return;
    }
    // Nothing pending: do not hold the process open, and stop once every slot is empty.
    if (this.refed) {
      this.timer?.unref();
      this.refed = false;
    }
    if (++this.idleTicks > 2 && this.closed.length === 0 && this.current.items.length === 0) this.stop();
  }
}

function slot(): Slot {
  return { items: [], tokens: [], closedAt: 0 };
}
