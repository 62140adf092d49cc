// The call loop for plain implementations when no monitor is attached: the path
// every orchestration event takes. Synchronous implementations cost a flag check,
// a try/catch and a counter; durations are sampled (see _sampling.ts).
// Once an implementation returns a promise the call continues in an AsyncRun,
// which awaits each pending implementation directly and leaves deadlines to the
// runner's timing wheels: no timer, promise or closure of its own per implementation.
import type { Watched, Wheel } from "./_deadlines.ts";
import { InvocationContext, isThenable, SKIP } from "./_invocation.ts";
import { HookTimeoutError } from "./errors.ts";
import type { HookContext } from "./plugin.ts";
import { type HookRunner, type ImplRecord, needsContext } from "./runner.ts";

/**
 * Runs plain implementations in order; synchronous until one returns a thenable.
 *
 * @returns The results (or the first one), or a promise of them.
 */
export function runFast(runner: HookRunner, impls: ImplRecord[], first: boolean, args: unknown): unknown {
  // Sampled per call, on the hook's countdown (see _sampling.ts).
  const countdown = impls[0]?.caller.plain;
  const timed = countdown !== undefined && --countdown.until <= 0;
  // The calls a timed one stands for (see Countdown); 0 when untimed.
  const weight = timed ? countdown.planned - countdown.until : 0;
  const start = timed ? performance.now() : 0;
  const run = new AsyncRun(runner, impls, first, args, 0, undefined, unset, unset, weight);
  if (!timed) {
    const result = run.advance();
    return result === PENDING ? run.begin() : result;
  }
  const everyCall = runner.settings.sampleMask === 0;
  let result: unknown;
  try {
    result = run.advance();
  } catch (error) {
    // Strict mode: the countdown still restarts.
    countdown.after(start, undefined, impls.length, everyCall);
    throw error;
  }
  if (result === PENDING) result = run.begin();
  return countdown.after(start, result, impls.length, everyCall);
}

/** What advance() returns when an implementation is pending. */
const PENDING: unique symbol = Symbol("pending");

type Resolve = (value: unknown) => void;
type Reject = (error: unknown) => void;

const unset = (): void => {};

/** The run whose promise is being made: the executor stores its resolving functions there, with no closure per call. */
let capturing: AsyncRun | undefined;

function capture(resolve: Resolve, reject: Reject): void {
  capturing!.resolve = resolve;
  capturing!.reject = reject;
}

/**
 * The rest of one call, from the first implementation that returned a thenable.
 * It awaits each pending implementation directly (as a plain await loop would) and
 * registers it with a deadline wheel. If the deadline passes first, expire() marks
 * this run dead and a new run carries on from the next implementation; when the
 * late implementation settles, the dead run only logs it.
 */
class AsyncRun implements Watched {
  private readonly runner: HookRunner;
  private readonly impls: ImplRecord[];
  private readonly first: boolean;
  private readonly args: unknown;
  /** The implementation being called or awaited. */
  index: number;
  private acc: unknown[] | undefined;
  /** 0 for an untimed call; for a timed one, the calls it stands for. */
  private readonly weight: number;
  sinceTick = 0;
  seenIndex = -1;
  watchIndex = -1;
  private dead = false;
  private wheel: Wheel | undefined;
  private start = NaN;
  private ctx: HookContext | undefined;
  /** The index `ctx` belongs to: only fresh contexts are kept, for expire() to abort. */
  private ctxIndex = -1;
  /** Settle the call's promise (shared with the run that carries on after a timeout). */
  resolve: Resolve;
  reject: Reject;
  /** The next pending thenable, as advance() found it. */
  next: PromiseLike<unknown> | undefined;
  nextStart = NaN;
  nextCtx: HookContext | undefined;

  constructor(
    runner: HookRunner,
    impls: ImplRecord[],
    first: boolean,
    args: unknown,
    index: number,
    acc: unknown[] | undefined,
    resolve: Resolve,
    reject: Reject,
    weight: number,
  ) {
    // Fields set here, not as parameter properties: Node's type stripping loads only erasable syntax.
    this.runner = runner;
    this.impls = impls;
    this.first = first;
    this.args = args;
    this.index = index;
    this.acc = acc;
    this.weight = weight;
    this.resolve = resolve;
    this.reject = reject;
  }

  /** Waits for the pending implementation advance() left in `next`; settles the call's promise. */
  begin(): Promise<unknown> {
    // Restored, not cleared: a promise hook (async_hooks) may make a call of its own
    // between this assignment and the executor, and its begin() must not lose this one.
    const previous = capturing;
    capturing = this;
    const promise = new Promise<unknown>(capture);
    capturing = previous;
    void this.drive();
    return promise;
  }

  /** The current pending implementation is due: the call goes on without it. */
  expire(): void {
    if (this.dead) return;
    this.dead = true;
    this.wheel!.unwatch(this);
    this.wheel = undefined;
    const record = this.impls[this.index];
    const error = new HookTimeoutError(record.state.name, record.caller.name, record.timeoutMs);
    if (this.ctxIndex === this.index && this.ctx instanceof InvocationContext) this.ctx.abort(error);
    const rest = new AsyncRun(
      this.runner,
      this.impls,
      this.first,
      this.args,
      this.index + 1,
      this.acc,
      this.resolve,
      this.reject,
      this.weight,
    );
    try {
      this.runner.failed(record, this.args, error, this.start, "timeout", undefined, this.weight);
    } catch (thrown) {
      return this.reject(thrown);
    }
    rest.resume();
  }

  /** Carries on synchronously, then asynchronously from the next pending implementation. */
  private resume(): void {
    let result: unknown;
    try {
      result = this.advance();
    } catch (thrown) {
      return this.reject(thrown);
    }
    if (result === PENDING) void this.drive();
    else this.resolve(result);
  }

  /**
   * Awaits the pending implementation advance() left in `next`, then calls the
   * following ones itself: an implementation called and awaited in the same async
   * function costs less than one called elsewhere and awaited here (measured on
   * both runtimes), so this loop repeats advance()'s synchronous bookkeeping inline.
   */
  private async drive(): Promise<void> {
    // Few locals live across the await: suspending an async function saves them,
    // so the run's state stays in fields.
    let thenable: PromiseLike<unknown> = this.next!;
    this.start = this.nextStart;
    this.ctx = this.nextCtx;
    this.ctxIndex = this.index;
    try {
      for (;;) {
        // impls[index] is pending: watch its deadline while awaiting it.
        let record = this.impls[this.index];
        // Moving this.index on is all the wheel needs (see Watched), unless the deadline differs.
        const wheel = this.wheel;
        if (wheel === undefined || wheel.timeoutMs !== record.timeoutMs) this.watch(record.timeoutMs);
        let result: unknown;
        let failed = false;
        try {
          result = await thenable;
        } catch (thrown) {
          result = thrown;
          failed = true;
        }
        if (this.dead) return this.runner.late(record, failed ? "failed" : "returned");
        for (;;) {
          if (failed) {
            this.runner.failed(record, this.args, result, this.start, "error", undefined, this.weight);
          } else if (result !== undefined || this.weight !== 0 || record.checksResult) {
            result = this.runner.ok(record, this.args, result, this.start, this.weight);
            if (result !== SKIP && result !== undefined && result !== null) {
              if (this.first) return this.finish(result);
              (this.acc ??= []).push(result);
            }
          } else if (record.state.consecutiveFailures !== 0) {
            record.state.consecutiveFailures = 0;
          }
          // The next implementation that is on, called here (see above).
          const impls = this.impls;
          do {
            if (++this.index >= impls.length) return this.finish(this.first ? undefined : this.acc ?? []);
            record = impls[this.index];
          } while (record.state.off);
          record.ticks++;
          if (this.weight !== 0) this.start = performance.now();
          let ctx = record.sharedCtx;
          if (record.wantsCtx !== false && needsContext(record)) {
            ctx = this.ctx = new InvocationContext(record);
            this.ctxIndex = this.index;
          }
          failed = false;
          try {
            // Called as a plain function: `this` is undefined, never the record.
            const fn = record.fn;
            result = fn(this.args, ctx);
          } catch (thrown) {
            result = thrown;
            failed = true;
            continue;
          }
          if (isThenable(result)) break;
        }
        thenable = result as PromiseLike<unknown>;
      }
    } catch (thrown) {
      this.unwatch();
      this.reject(thrown);
    }
  }

  /** Moves this run to the wheel of `timeoutMs`. */
  private watch(timeoutMs: number): Wheel {
    this.wheel?.unwatch(this);
    const wheel = this.wheel = this.runner.deadlines.wheel(timeoutMs);
    wheel.watch(this);
    return wheel;
  }

  /** The call's result: stop watching and settle. */
  private finish(result: unknown): void {
    this.unwatch();
    this.resolve(result);
  }

  private unwatch(): void {
    this.wheel?.unwatch(this);
    this.wheel = undefined;
  }

  /**
   * Runs the remaining implementations synchronously. Returns PENDING when one
   * returned a thenable (left in `next`), else the call's result. Throws in strict mode.
   */
  advance(): unknown {
    const { impls, args, runner } = this;
    const timed = this.weight !== 0;
    for (; this.index < impls.length; this.index++) {
      const record = impls[this.index];
      if (record.state.off) continue;
      record.ticks++;
      const start = timed ? performance.now() : NaN;
      const ctx = needsContext(record) ? new InvocationContext(record) : record.sharedCtx;
      let result: unknown;
      try {
        const fn = record.fn;
        result = fn(args, ctx);
      } catch (error) {
        runner.failed(record, args, error, start, "error", undefined, this.weight);
        continue;
      }
      if (isThenable(result)) {
        this.next = result;
        this.nextStart = start;
        this.nextCtx = ctx;
        return PENDING;
      }
      if (start === start || record.checksResult) {
        result = runner.ok(record, args, result, start, this.weight);
      } else if (record.state.consecutiveFailures !== 0) record.state.consecutiveFailures = 0;
      if (result === SKIP || result === undefined || result === null) continue;
      if (this.first) return result;
      (this.acc ??= []).push(result);
    }
    return this.first ? undefined : this.acc ?? [];
  }
}

/** Continues a call asynchronously from implementation `index`, which returned `thenable`. */
export function continueAsync(
  runner: HookRunner,
  impls: ImplRecord[],
  first: boolean,
  args: unknown,
  index: number,
  acc: unknown[] | undefined,
  thenable: PromiseLike<unknown>,
  start: number,
  ctx: HookContext,
  weight: number,
): Promise<unknown> {
  const run = new AsyncRun(runner, impls, first, args, index, acc, unset, unset, weight);
  run.next = thenable;
  run.nextStart = start;
  run.nextCtx = ctx;
  return run.begin();
}
