// The call loop for plain implementations when no monitor is attached: the path
// every orchestration event takes. Synchronous implementations cost a flag check,
// a try/catch and a counter; durations are sampled (see RunnerSettings.sampleMask).
// Once an implementation returns a promise the call continues in an AsyncRun,
// which awaits each pending implementation directly and leaves deadlines to the
// runner's timing wheels: no timer, promise or closure per implementation.
import type { Wheel } from "./_deadlines.ts";
import { InvocationContext, isThenable, SKIP } from "./_invocation.ts";
import { HookTimeoutError } from "./errors.ts";
import type { HookContext } from "./plugin.ts";
import type { HookRunner, ImplRecord } from "./runner.ts";

/**
 * Runs plain implementations in order; synchronous until one returns a thenable.
 *
 * @returns The results (or the first one), or a promise of them.
 */
export function runFast(runner: HookRunner, impls: ImplRecord[], first: boolean, args: unknown): unknown {
  const mask = runner.settings.sampleMask;
  let acc: unknown[] | undefined;
  for (let i = 0; i < impls.length; i++) {
    const record = impls[i];
    if (record.state.off) continue;
    const start = (record.ticks++ & mask) === 0 ? performance.now() : NaN;
    const ctx = record.wantsCtx ? new InvocationContext(record) : record.sharedCtx;
    let result: unknown;
    try {
      result = record.fn(args, ctx);
    } catch (error) {
      runner.failed(record, args, error, start, "error", undefined);
      continue;
    }
    if (isThenable(result)) {
      return new AsyncRun(runner, impls, first, args, i, acc, undefined).begin(result, start, ctx);
    }
    if (start === start || record.checksResult) result = runner.ok(record, args, result, start);
    else if (record.state.consecutiveFailures !== 0) record.state.consecutiveFailures = 0;
    if (result === SKIP || result === undefined || result === null) continue;
    if (first) return result;
    (acc ??= []).push(result);
  }
  return first ? undefined : acc ?? [];
}

type Settle = { resolve(value: unknown): void; reject(error: unknown): void };

const UNSET: Settle = { resolve() {}, reject() {} };

/** The rest of one call, from the first implementation that returned a thenable. */
class AsyncRun {
  private token = 0;
  private dead = false;
  private wheel: Wheel | undefined;
  private start = NaN;
  private ctx: HookContext | undefined;
  private settle: Settle;

  constructor(
    private readonly runner: HookRunner,
    private readonly impls: ImplRecord[],
    private readonly first: boolean,
    private readonly args: unknown,
    private index: number,
    private acc: unknown[] | undefined,
    settle: Settle | undefined,
  ) {
    this.settle = settle ?? UNSET;
    // Assigned here, not as class fields: tsx's keep-names transform would otherwise
    // rename two fresh functions for every asynchronous call.
    this.onValue = (value) => this.settled(value);
    this.onError = (error) => this.failed(error);
  }

  /** Starts waiting for the thenable the current implementation returned. */
  begin(thenable: PromiseLike<unknown>, start: number, ctx: HookContext): Promise<unknown> {
    const promise = new Promise<unknown>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.wait(thenable, start, ctx);
    return promise;
  }

  /** The current pending implementation is due (if `token` is still current). */
  expire(token: number): void {
    if (token !== this.token || this.dead) return;
    this.dead = true;
    this.wheel!.expired();
    const record = this.impls[this.index];
    const error = new HookTimeoutError(record.state.name, record.caller.name, record.timeoutMs);
    if (this.ctx instanceof InvocationContext) this.ctx.abort(error);
    // This object's callbacks now answer only late results; a new one carries on.
    const rest = new AsyncRun(
      this.runner,
      this.impls,
      this.first,
      this.args,
      this.index + 1,
      this.acc,
      this.settle,
    );
    try {
      this.runner.failed(record, this.args, error, this.start, "timeout", undefined);
    } catch (thrown) {
      return this.settle.reject(thrown);
    }
    rest.loop();
  }

  private wait(thenable: PromiseLike<unknown>, start: number, ctx: HookContext): void {
    this.start = start;
    this.ctx = ctx;
    const token = ++this.token;
    this.wheel = this.runner.deadlines.add(this, token, this.impls[this.index].timeoutMs);
    try {
      thenable.then(this.onValue, this.onError);
    } catch (error) {
      // A thenable whose then() throws has failed like any other implementation.
      this.onError(error);
    }
  }

  private readonly onValue: (value: unknown) => void;
  private readonly onError: (error: unknown) => void;

  private settled(value: unknown): void {
    if (this.dead) return this.runner.late(this.impls[this.index], "returned");
    this.token++;
    this.wheel!.settled();
    try {
      const result = this.runner.ok(this.impls[this.index], this.args, value, this.start);
      if (result !== SKIP && result !== undefined && result !== null) {
        if (this.first) return this.settle.resolve(result);
        (this.acc ??= []).push(result);
      }
    } catch (thrown) {
      return this.settle.reject(thrown);
    }
    this.index++;
    this.loop();
  }

  private failed(error: unknown): void {
    if (this.dead) return this.runner.late(this.impls[this.index], "failed");
    this.token++;
    this.wheel!.settled();
    try {
      this.runner.failed(this.impls[this.index], this.args, error, this.start, "error", undefined);
    } catch (thrown) {
      return this.settle.reject(thrown);
    }
    this.index++;
    this.loop();
  }

  /** Runs the remaining implementations, synchronously until the next thenable. */
  loop(): void {
    const { impls, args, runner } = this;
    const mask = runner.settings.sampleMask;
    try {
      for (; this.index < impls.length; this.index++) {
        const record = impls[this.index];
        if (record.state.off) continue;
        const start = (record.ticks++ & mask) === 0 ? performance.now() : NaN;
        const ctx = record.wantsCtx ? new InvocationContext(record) : record.sharedCtx;
        let result: unknown;
        try {
          result = record.fn(args, ctx);
        } catch (error) {
          runner.failed(record, args, error, start, "error", undefined);
          continue;
        }
        if (isThenable(result)) return this.wait(result, start, ctx);
        if (start === start || record.checksResult) result = runner.ok(record, args, result, start);
        else if (record.state.consecutiveFailures !== 0) record.state.consecutiveFailures = 0;
        if (result === SKIP || result === undefined || result === null) continue;
        if (this.first) return this.settle.resolve(result);
        (this.acc ??= []).push(result);
      }
    } catch (thrown) {
      return this.settle.reject(thrown);
    }
    this.settle.resolve(this.first ? undefined : this.acc ?? []);
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
): Promise<unknown> {
  return new AsyncRun(runner, impls, first, args, index, acc, undefined).begin(thenable, start, ctx);
}
