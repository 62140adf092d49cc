/**
 * The call loop. The manager hands it hook callers; it validates and freezes the
 * arguments, runs the wrappers (see wrappers.ts) and the plain implementations'
 * generated call list (see _compiled.ts), and carries a call on asynchronously from
 * the first implementation that returns a promise, watching each pending one's
 * deadline on the timing wheels (see _deadlines.ts). Every outcome is recorded by
 * outcome.ts.
 *
 * A synchronous call allocates one run object and nothing per implementation: no
 * closures, no promises, no timers (a context object is made only for
 * implementations that declare the `ctx` parameter).
 *
 * @module
 */
import * as v from "valibot";
import { HookArgumentsError, HookTimeoutError } from "./errors.ts";
import type { HookCaller, ImplRecord } from "./hooks.ts";
import { type Monitor, Monitors } from "./monitor.ts";
import { type Invocation, Outcomes, type OutcomeSettings } from "./outcome.ts";
import { issueToProblem } from "./_problems.ts";
import { runLevel, type WrapperHost } from "./wrappers.ts";
import type { PlainList, StepRun, Variant } from "./_compiled.ts";
import { Deadlines, type Watched, type Wheel } from "./_deadlines.ts";
import { deepFreeze, frozenCopy } from "./_freeze.ts";
import { InvocationContext, NO_ERROR, PENDING } from "./_invocation.ts";

/** How the runner behaves; fixed for a manager's lifetime. @internal */
export interface RunnerSettings extends OutcomeSettings {
  /** Validate arguments and results against the hook specs. */
  readonly validate: boolean;
}

/**
 * Runs hook calls. One per manager. @internal
 *
 * @example
 * ```ts
 * import { HookRunner } from "./runner.ts";
 * import { createPluginState, createRecord, HookCaller } from "./hooks.ts";
 * import { defineHookSpec } from "./spec.ts";
 * import { silentLogger } from "./logger.ts";
 * import * as v from "valibot";
 * const runner = new HookRunner({ strict: false, validate: true, breakerThreshold: 5, maxFailures: 10, logger: silentLogger });
 * const caller = new HookCaller("ping", defineHookSpec({ args: v.object({ n: v.number() }), doc: "Pings." }), {
 *   source: "example",
 *   defaultTimeoutMs: 1000,
 *   everyCall: false,
 * });
 * const state = createPluginState({ name: "p", hooks: {} }, silentLogger);
 * caller.records.push(createRecord(caller, state, { impl: ({ n }: { n: number }) => n + 1, seq: 0, validate: true }));
 * caller.invalidate();
 * const results = runner.call(caller, { n: 1 });
 * if (JSON.stringify(results) !== "[2]") throw new Error("wrong results");
 * ```
 */
export class HookRunner implements WrapperHost {
  /** How the runner behaves. */
  readonly settings: RunnerSettings;
  /** The manager's monitors. */
  readonly monitors: Monitors;
  /** Where every invocation's outcome is recorded. */
  readonly out: Outcomes;
  /** Deadlines of pending implementations, wrappers and shutdowns. */
  readonly deadlines: Deadlines = new Deadlines();
  /** Strict mode (`onError: "throw"`). */
  readonly strict: boolean;

  /**
   * A runner with no monitors and no failures recorded.
   *
   * @param settings How the runner behaves.
   */
  constructor(settings: RunnerSettings) {
    this.settings = settings;
    this.strict = settings.strict;
    this.monitors = new Monitors(settings.logger);
    this.out = new Outcomes(settings, this.monitors);
  }

  /**
   * Validates and freezes `args`, then runs the hook's implementations.
   *
   * @param caller The hook.
   * @param args Its arguments.
   * @returns The result, synchronously when every implementation returned synchronously.
   * @throws {HookArgumentsError} When validation is on and `args` do not match.
   */
  call(caller: HookCaller, args: unknown): unknown {
    if (this.settings.validate) {
      const parsed = v.safeParse(caller.spec.args, args);
      if (!parsed.success) {
        throw new HookArgumentsError(caller.name, parsed.issues.map((issue) => issueToProblem(issue)));
      }
      args = frozenCopy(parsed.output);
    } else {
      deepFreeze(args);
    }
    caller.history?.push(args);
    if (caller.stale) caller.rebuild();
    const plain = caller.plainList();
    const wrappers = caller.wrappers;
    if (wrappers.length === 0) return this.runPlain(plain, args);
    // Monitors see every duration; otherwise calls through wrappers are sampled as
    // the plain lists are, on their own countdown (see stats.ts).
    if (this.monitors.list.length > 0) return runLevel({ host: this, wrappers, plain, args, weight: 1 }, 0);
    const countdown = caller.wrapped;
    const weight = countdown.take();
    if (weight === 0) return runLevel({ host: this, wrappers, plain, args, weight }, 0);
    const start = performance.now();
    const count = wrappers.length + plain.impls.length;
    let result: unknown;
    try {
      result = runLevel({ host: this, wrappers, plain, args, weight }, 0);
    } catch (error) {
      countdown.after(start, undefined, count);
      throw error;
    }
    return countdown.after(start, result, count);
  }

  /**
   * Runs a list of plain implementations: timed when its countdown says so, or
   * when monitors are attached (which see every invocation and leave the countdown alone).
   *
   * @param list The generated call list.
   * @param args The frozen arguments.
   * @returns The results (or the first one), or a promise of them.
   */
  runPlain(list: PlainList<ImplRecord>, args: unknown): unknown {
    if (this.monitors.list.length > 0) return new Run(this, list, args).go(1);
    const countdown = list.countdown;
    const weight = countdown.take();
    if (weight === 0) {
      // A call that ended synchronously leaves its run for the next one: most calls
      // allocate nothing. A call made meanwhile (re-entry) or pending makes its own.
      let run = list.spare as Run | undefined;
      if (run === undefined) run = new Run(this, list, args);
      else {
        list.spare = undefined;
        run.args = args;
      }
      const result = run.go(0);
      if (!run.begun) list.spare = run.recycled();
      return result;
    }
    const run = new Run(this, list, args);
    const start = performance.now();
    let result: unknown;
    try {
      result = run.go(weight);
    } catch (error) {
      // Strict mode: the countdown still restarts.
      countdown.after(start, undefined, list.impls.length);
      throw error;
    }
    return countdown.after(start, result, list.impls.length);
  }

  /**
   * Replays a historic hook's remembered calls, in order, to one new implementation,
   * including calls made while the replay runs; then `caughtUp` attaches it to the
   * call lists, in the same tick as the last replayed call, so no call is missed or
   * seen twice.
   *
   * @param record The new implementation.
   * @param caughtUp Attaches it to its hook's lists.
   * @returns A promise when a replayed call was pending, else undefined.
   * @throws In strict mode, a replayed call's failure (the record is attached all the same).
   */
  replay(record: ImplRecord, caughtUp: () => void): Promise<void> | undefined {
    const history = record.caller.history ?? [];
    const alone = record.caller.aloneList(record);
    let index = 0;
    const step = (): Promise<void> | undefined => {
      try {
        while (index < history.length && !record.state.removed) {
          const result = this.runPlain(alone, history[index++]);
          if (result instanceof Promise) {
            return result.then(step, (error) => {
              if (!record.state.removed) caughtUp();
              throw error;
            });
          }
        }
      } catch (error) {
        if (!record.state.removed) caughtUp();
        throw error;
      }
      if (!record.state.removed) caughtUp();
      return undefined;
    };
    return step();
  }
}

type Resolve = (value: unknown) => void;
type Reject = (error: unknown) => void;

const unset = (): void => {};
const NO_MONITORS: readonly Monitor[] = [];

/** The run whose promise is being made: the executor stores its resolving functions there, with no closure per call. */
let capturing: Run | undefined;

function capture(resolve: Resolve, reject: Reject): void {
  capturing!.resolve = resolve;
  capturing!.reject = reject;
}

/**
 * One call of a plain list. It runs the list's generated code synchronously; from
 * the first implementation that returns a thenable the list's async function awaits
 * each pending implementation while a deadline wheel watches it (see _compiled.ts).
 * If the deadline passes first, expire() marks this run dead and a new run carries
 * on from the next implementation; when the late implementation settles, the dead
 * run only logs it.
 */
class Run implements StepRun<ImplRecord, Invocation>, Invocation, Watched {
  readonly host: HookRunner;
  readonly out: Outcomes;
  readonly monitors: Monitors;
  readonly list: PlainList<ImplRecord>;
  args: unknown;
  /** 0 for an untimed call; for a timed one, the calls it stands for. */
  weight: number;
  /** Whether the monitors see this call's invocations. */
  monitored: boolean;
  /** The variant of the list this call runs. */
  variant: Variant<ImplRecord>;
  start: number;
  end: number;
  acc: unknown[] | undefined;
  /** The implementation being called or awaited (and, for the wheel, watched). */
  index: number;
  pending: PromiseLike<unknown> | undefined;
  ctx: unknown;
  readonly innerMs = 0;
  readonly innerError: unknown = NO_ERROR;
  seen: readonly Monitor[] = NO_MONITORS;
  /** Settle the call's promise (shared with the run that carries on after a timeout). */
  resolve: Resolve;
  reject: Reject;
  sinceTick = 0;
  seenIndex = -1;
  watchIndex = -1;
  readonly usedMs = 0;
  dead = false;
  /** Set once the call went on asynchronously: the run then belongs to it. */
  begun = false;
  private wheel: Wheel | undefined = undefined;

  // Fields set here, not as parameter properties: Node's type stripping loads only erasable syntax.
  constructor(host: HookRunner, list: PlainList<ImplRecord>, args: unknown) {
    this.host = host;
    this.out = host.out;
    this.monitors = host.monitors;
    this.list = list;
    this.args = args;
    this.weight = 0;
    this.monitored = false;
    this.variant = list.untimed;
    this.start = 0;
    this.end = 0;
    this.acc = undefined;
    this.index = 0;
    this.pending = undefined;
    this.ctx = undefined;
    this.resolve = unset;
    this.reject = unset;
  }

  /**
   * Runs the call: its result, or a promise of it once an implementation is pending.
   *
   * @param weight 0 for an untimed call, else the calls it stands for (1 when monitored).
   */
  go(weight: number): unknown {
    this.weight = weight;
    const monitored = this.monitors.list.length > 0;
    this.monitored = monitored;
    this.variant = monitored ? this.list.monitored : weight > 0 ? this.list.timed : this.list.untimed;
    const result = this.variant.run(this, 0);
    return result === PENDING ? this.begin() : result;
  }

  /** Watches the awaited implementation on the wheel of its deadline; moving `index` on is all a wheel needs (see Watched). */
  watch(): void {
    const timeoutMs = this.list.impls[this.index].timeoutMs;
    const wheel = this.wheel;
    if (wheel !== undefined && wheel.timeoutMs === timeoutMs) return;
    wheel?.unwatch(this);
    (this.wheel = this.host.deadlines.wheel(timeoutMs)).watch(this);
  }

  /** The awaited implementation settled after its deadline: logged, and nothing else. */
  late(kind: "ok" | "error"): void {
    this.out.late(this.list.impls[this.index], kind === "ok" ? "returned" : "failed");
  }

  /** The call's result: stop watching and settle. */
  finish(result: unknown): void {
    this.unwatch();
    this.resolve(result);
  }

  /** An exception escaped the call: stop watching and reject. */
  fail(error: unknown): void {
    this.unwatch();
    this.reject(error);
  }

  /** The current pending implementation is due: the call goes on without it. */
  expire(): void {
    if (this.dead) return;
    this.dead = true;
    this.unwatch();
    const record = this.list.impls[this.index];
    const error = new HookTimeoutError(record.state.name, record.caller.name, record.timeoutMs);
    if (this.ctx instanceof InvocationContext) this.ctx.abort(error);
    this.end = performance.now();
    const rest = new Run(this.host, this.list, this.args);
    rest.weight = this.weight;
    rest.monitored = this.monitored;
    rest.variant = this.variant;
    rest.index = this.index;
    rest.acc = this.acc;
    rest.resolve = this.resolve;
    rest.reject = this.reject;
    try {
      this.out.record(record, this, error, "timeout");
    } catch (thrown) {
      return this.reject(thrown);
    }
    rest.resume();
  }

  /** Waits for the pending implementation the list left; settles the call's promise. */
  private begin(): Promise<unknown> {
    // Restored, not cleared: a promise hook (async_hooks) may make a call of its own
    // between this assignment and the executor, and its begin() must not lose this one.
    this.begun = true;
    const previous = capturing;
    capturing = this;
    const promise = new Promise<unknown>(capture);
    capturing = previous;
    void this.variant.drive(this, this.pending!);
    return promise;
  }

  /** Carries on from the implementation after the current one, synchronously as far as it can. */
  private resume(): void {
    let result: unknown;
    try {
      result = this.variant.run(this, this.index + 1);
    } catch (thrown) {
      return this.reject(thrown);
    }
    if (result === PENDING) void this.variant.drive(this, this.pending!);
    else this.resolve(result);
  }

  /** Forgets a synchronous call that ended, so that the next may reuse this run. */
  recycled(): this {
    this.args = undefined;
    this.acc = undefined;
    this.pending = undefined;
    this.ctx = undefined;
    return this;
  }

  private unwatch(): void {
    this.wheel?.unwatch(this);
    this.wheel = undefined;
  }
}
