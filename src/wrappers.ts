/**
 * Wrappers: implementations that run around the rest of a call, as pluggy's
 * hookwrappers. Each wrapper level of a call gets a frame whose next() runs the
 * inner levels (the next wrappers, then the plain implementations) at most once and
 * keeps their answer. A pending wrapper's deadline runs only while the wrapper
 * itself works: it stops while the inner levels it awaited through next() are pending.
 *
 * @module
 */
import { BernsteinError, HookTimeoutError } from "./errors.ts";
import { type ImplRecord, needsContext } from "./hooks.ts";
import type { Monitor, Monitors } from "./monitor.ts";
import type { Invocation, OutcomeKind, Outcomes } from "./outcome.ts";
import type { Deadlines, Watched, Wheel } from "./_deadlines.ts";
import type { PlainList } from "./_compiled.ts";
import { InvocationContext, isThenable, NO_ERROR, SKIP } from "./_invocation.ts";

/** What a next() called after its wrapper's call ended throws. @internal */
export const NEXT_AFTER_END = "next() was called after the wrapper's call had ended; it does nothing now";

/** What a next() called from inside the implementations it runs throws. @internal */
export const NEXT_FROM_INSIDE =
  "next() was called from inside the implementations it runs; it cannot run them again";

/** What the wrapper levels need of the runner. @internal */
export interface WrapperHost {
  /** Runs a list of plain implementations: the innermost level. */
  runPlain(list: PlainList<ImplRecord>, args: unknown): unknown;
  /** Where outcomes are recorded. */
  readonly out: Outcomes;
  /** The manager's monitors. */
  readonly monitors: Monitors;
  /** The deadline wheels. */
  readonly deadlines: Deadlines;
  /** Strict mode (`onError: "throw"`). */
  readonly strict: boolean;
}

/** What stays the same through every wrapper level of one call. @internal */
export interface WrappedCall {
  /** The runner. */
  readonly host: WrapperHost;
  /** The wrappers, outermost first, as they were when the call started. */
  readonly wrappers: readonly ImplRecord[];
  /** The plain implementations, likewise. */
  readonly plain: PlainList<ImplRecord>;
  /** The frozen arguments. */
  readonly args: unknown;
  /** 0 when the wrappers' durations are not measured in this call, else the calls it stands for. */
  readonly weight: number;
}

/**
 * Runs one wrapper level of a call, or the plain implementations below the last one.
 *
 * @example
 * ```ts
 * import { PluginManager } from "../mod.ts";
 * const manager = new PluginManager({ validate: false });
 * manager.register({ name: "inner", hooks: { onAgentDied: () => {} } });
 * manager.register({ name: "outer", hooks: { onAgentDied: { wrapper: (_args, next) => next() } } });
 * // The call runs the wrapper's level, whose next() runs the plain implementation.
 * const results = manager.hook.onAgentDied({ agentId: "a1", reason: "exit" });
 * if (!Array.isArray(results)) throw new Error("no list");
 * ```
 *
 * @param call The call.
 * @param depth The level: 0 for the outermost wrapper.
 * @returns The level's answer, or a promise of it.
 */
export function runLevel(call: WrappedCall, depth: number): unknown {
  const wrappers = call.wrappers;
  if (depth === wrappers.length) return call.host.runPlain(call.plain, call.args);
  const record = wrappers[depth];
  if (record.state.off) return runLevel(call, depth + 1);
  const frame = new Frame(call, depth + 1);
  let result: unknown;
  try {
    result = invoke(record, frame);
  } catch (error) {
    // Strict mode, or a logger that threw: the wrapper's call has ended all the same.
    frame.close();
    throw error;
  }
  // invoke() returns a promise only when the wrapper returned a thenable; an array is the usual answer.
  if (!Array.isArray(result) && result instanceof Promise) {
    return result.then((value) => value === SKIP ? frame.next() : value);
  }
  // A failed wrapper's inner result stands.
  const value = result === SKIP ? frame.next() : result;
  // A synchronous wrapper's call has ended: a next() it kept must not run the inner levels late.
  frame.close();
  return value;
}

/** Runs one wrapper: its result, SKIP when it failed, or (when it returned a thenable) a promise of either. */
function invoke(record: ImplRecord, frame: Frame): unknown {
  const call = frame.call;
  const host = call.host;
  record.ticks++;
  const monitored = host.monitors.list.length > 0;
  frame.monitored = monitored;
  // A monitor attached during an untimed call times the invocations it sees.
  frame.weight = call.weight > 0 ? call.weight : monitored ? 1 : 0;
  const ctx = needsContext(record) ? new InvocationContext(record) : record.sharedCtx;
  if (monitored) frame.seen = host.monitors.before(record, call.args);
  if (frame.weight > 0) frame.start = performance.now();
  let result: unknown;
  let pending: boolean;
  try {
    // Called as a plain function: `this` is undefined, never the record.
    const fn = record.fn;
    result = fn(call.args, frame.next, ctx);
    if (frame.weight > 0) frame.end = performance.now();
    // Inside the try: a result whose then getter throws has failed like a throw.
    pending = isThenable(result);
  } catch (error) {
    if (frame.weight > 0) frame.end = performance.now();
    return host.out.record(record, frame, error, "error");
  }
  if (pending) return new PendingWrapper(record, frame, ctx).settle(result as PromiseLike<unknown>);
  return host.out.record(record, frame, result, "ok");
}

/** A frame's `inner` while the inner levels run (and after they threw). */
const INNER_RUNNING: unique symbol = Symbol("inner running");

/** One wrapper level of one call: runs the inner levels at most once. @internal */
export class Frame implements Invocation {
  /** The call. */
  readonly call: WrappedCall;
  /** The call's arguments. */
  readonly args: unknown;
  /** 0 when this invocation is not timed, else the calls it stands for. */
  weight: number;
  /** When the wrapper started and ended, when timed. */
  start: number;
  end: number;
  /** Whether the monitors saw it start. */
  monitored: boolean;
  /** The monitors told of its start. */
  seen: readonly Monitor[];
  /** Time spent in the inner levels, which is not the wrapper's own (measured when timed). */
  innerMs: number;
  /** The error the inner levels raised, or NO_ERROR. */
  innerError: unknown;
  /** Inner levels still pending (0 or 1); the wrapper's clock stops meanwhile. */
  innerPending: number;
  /** Pauses and resumes the wrapper's deadline while the inner levels are pending. */
  clock: { pause(): void; resume(): void } | undefined;
  private called: boolean;
  private closed: boolean;
  private inner: unknown;
  private readonly depth: number;

  // Fields assigned in the constructor rather than declared with initialisers: one
  // frame is made per wrapper level per call, and plain assignments cost less.
  constructor(call: WrappedCall, depth: number) {
    this.call = call;
    this.args = call.args;
    this.depth = depth;
    this.weight = 0;
    this.start = 0;
    this.end = 0;
    this.monitored = false;
    this.seen = NO_MONITORS;
    this.innerMs = 0;
    this.innerError = NO_ERROR;
    this.innerPending = 0;
    this.clock = undefined;
    this.called = false;
    this.closed = false;
    this.inner = undefined;
    this.next = this.runNext.bind(this);
  }

  /**
   * The wrapper's next(). Bound in the constructor: a bound function costs less to
   * make than an arrow function and its context, and tsx's keep-names transform
   * does not rename it on every call (as it would a class-field arrow).
   */
  readonly next: () => unknown;

  /** Ends the frame with its wrapper's call: a next() kept and called later throws instead of running the inner levels. */
  close(): void {
    this.closed = true;
  }

  private runNext(): unknown {
    if (this.closed) throw new BernsteinError(NEXT_AFTER_END);
    if (this.called) {
      if (this.innerError !== NO_ERROR && !(this.inner instanceof Promise)) throw this.innerError;
      if (this.inner === INNER_RUNNING) throw new BernsteinError(NEXT_FROM_INSIDE);
      return this.inner;
    }
    this.called = true;
    this.inner = INNER_RUNNING;
    const timed = this.weight > 0;
    const start = timed ? performance.now() : 0;
    let inner: unknown;
    try {
      inner = runLevel(this.call, this.depth);
    } catch (error) {
      if (timed) this.innerMs += performance.now() - start;
      this.innerError = error;
      throw error;
    }
    this.inner = inner;
    if (Array.isArray(inner) || !(inner instanceof Promise)) {
      if (timed) this.innerMs += performance.now() - start;
      return inner;
    }
    return this.inner = this.follow(inner, start);
  }

  /** A promise of the inner levels' answer that stops the wrapper's clock until it settles. */
  private follow(inner: Promise<unknown>, start: number): Promise<unknown> {
    this.innerPending = 1;
    this.clock?.pause();
    const done = (): void => {
      this.innerPending = 0;
      if (this.weight > 0) this.innerMs += performance.now() - start;
      this.clock?.resume();
    };
    let followed = inner.then((value) => (done(), value), (error) => {
      done();
      throw error;
    });
    if (this.call.host.strict) {
      followed = followed.catch((error) => {
        this.innerError = error;
        throw error;
      });
    }
    // Handled here so that a wrapper that never awaits next() leaves no unhandled rejection.
    followed.catch(() => {});
    return followed;
  }
}

/** A wrapper that returned a thenable: waits for it up to its deadline, on the deadline wheels. */
class PendingWrapper implements Watched {
  readonly index = 0;
  seenIndex = 0;
  sinceTick = 0;
  watchIndex = -1;
  /** Time the wrapper already worked before its clock last stopped. */
  usedMs = 0;
  private settled = false;
  private wheel: Wheel | undefined = undefined;
  private resumedAt = 0;
  private resolve: (value: unknown) => void = ignore;
  private reject: (error: unknown) => void = ignore;
  private readonly record: ImplRecord;
  private readonly frame: Frame;
  private readonly ctx: unknown;

  constructor(record: ImplRecord, frame: Frame, ctx: unknown) {
    this.record = record;
    this.frame = frame;
    this.ctx = ctx;
  }

  /** Waits for the wrapper's thenable: its recorded outcome (SKIP when it failed). */
  settle(pending: PromiseLike<unknown>): Promise<unknown> {
    const promise = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.frame.clock = this;
    if (this.frame.innerPending === 0) this.resume();
    const out = this.frame.call.host.out;
    try {
      pending.then(
        (value) => this.settled ? out.late(this.record, "returned") : this.finish(value, "ok"),
        (error) => this.settled ? out.late(this.record, "failed") : this.finish(error, "error"),
      );
    } catch (error) {
      // A thenable whose then() throws has failed like any other implementation.
      if (!this.settled) this.finish(error, "error");
    }
    return promise;
  }

  /** Stops the deadline clock: the inner levels are pending. */
  pause(): void {
    if (this.wheel === undefined) return;
    this.wheel.unwatch(this);
    this.wheel = undefined;
    this.usedMs += performance.now() - this.resumedAt;
  }

  /** Starts the deadline clock again, with the time already used. */
  resume(): void {
    if (this.settled || this.wheel !== undefined) return;
    this.resumedAt = performance.now();
    this.wheel = this.frame.call.host.deadlines.wheel(this.record.timeoutMs);
    this.wheel.watch(this);
  }

  /** The deadline passed while the wrapper worked. */
  expire(): void {
    const record = this.record;
    const error = new HookTimeoutError(record.state.name, record.caller.name, record.timeoutMs);
    if (this.ctx instanceof InvocationContext) this.ctx.abort(error);
    this.finish(error, "timeout");
  }

  private finish(value: unknown, kind: OutcomeKind): void {
    this.settled = true;
    this.wheel?.unwatch(this);
    this.wheel = undefined;
    this.frame.clock = undefined;
    if (this.frame.weight > 0) this.frame.end = performance.now();
    try {
      this.resolve(this.frame.call.host.out.record(this.record, this.frame, value, kind));
    } catch (thrown) {
      this.frame.close();
      this.reject(thrown);
    }
  }
}

function ignore(): void {}

const NO_MONITORS: readonly Monitor[] = [];
