/**
 * The call loop. The manager hands it precomputed, ordered implementation lists;
 * it runs them with isolation, deadlines, the circuit breaker and monitoring.
 *
 * The loop stays synchronous until an implementation returns a promise, and then
 * continues asynchronously from that point. It allocates nothing per
 * implementation on the synchronous path: no closures, no promises, no timers (a
 * context object is made only for implementations that declare the `ctx` parameter).
 *
 * @module
 */
import * as v from "valibot";
import { BernsteinError, HookArgumentsError, HookTimeoutError } from "./errors.ts";
import { deepFreeze, frozenCopy } from "./_freeze.ts";
import { InvocationContext, isThenable, NO_ERROR, SKIP } from "./_invocation.ts";
import { ignoresArgument } from "./_params.ts";
import { Deadlines } from "./_deadlines.ts";
import { runFast } from "./_fastpath.ts";
import { Countdown, OUTLIER } from "./_sampling.ts";
import { compileCall, type CompiledCall, MAX_COMPILED } from "./_compiled.ts";
import { compileChain, type CompiledChain } from "./_chain.ts";
import type { Logger } from "./logger.ts";
import { describe, type HookContext, issueToProblem, type Plugin } from "./plugin.ts";
import type { HookSpec, HookSpecs } from "./spec.ts";

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

/** A failed invocation, as recorded by the runner. */
export interface FailureRecord {
  /** Plugin whose implementation failed. */
  readonly plugin: string;
  /** Hook being called. */
  readonly hook: string;
  /** `"error"` for a throw, rejection or bad result; `"timeout"` for a missed deadline. */
  readonly kind: "error" | "timeout";
  /** What was thrown, or the {@linkcode HookTimeoutError}. */
  readonly error: unknown;
  /** When it happened, in milliseconds since the epoch. */
  readonly time: number;
}

/** What a monitor sees before each invocation. */
export interface BeforeEvent {
  /** Plugin being invoked. */
  readonly plugin: string;
  /** Hook being called. */
  readonly hook: string;
  /** The frozen arguments. */
  readonly args: unknown;
  /** Whether the implementation is a wrapper. */
  readonly wrapper: boolean;
}

/** What a monitor sees after each invocation. */
export interface AfterEvent extends BeforeEvent {
  /** How the invocation ended. */
  readonly outcome: "ok" | "error" | "timeout";
  /** Time from the call to settling (or to the deadline), in milliseconds. */
  readonly durationMs: number;
  /** The returned value, for `"ok"`. */
  readonly result?: unknown;
  /** The error, for `"error"` and `"timeout"`. */
  readonly error?: unknown;
}

/** Observes every invocation; see the manager's `monitor()`. */
export interface Monitor {
  /** Called just before an implementation runs. */
  before?(event: BeforeEvent): void;
  /** Called when an implementation has settled, failed or timed out. */
  after?(event: AfterEvent): void;
}

/** Per-plugin bookkeeping the runner reads and updates. @internal */
export interface PluginState {
  /** The registered plugin. */
  readonly plugin: Plugin<HookSpecs>;
  /** Its name. */
  readonly name: string;
  /** Its logger, scoped to its name. */
  readonly logger: Logger;
  /** Its counters (totalMs is computed by the manager from the records). */
  readonly stats: PluginStats;
  /** Aborted when the plugin is unregistered; the signal of shared contexts. */
  readonly lifetime: AbortController;
  /** Failures since its last success: the circuit breaker's count. */
  consecutiveFailures: number;
  /** Suspended by the circuit breaker until resume(). */
  suspended: boolean;
  /** suspended || removed, kept in one flag for the call loop. */
  off: boolean;
  /** The plugin's implementation records, whose `ticks` add up to its calls. */
  readonly records: ImplRecord[];
  /** Set when unregistered, so that calls already under way skip it. */
  removed: boolean;
}

/** One implementation of one hook, with everything the loop needs precomputed. @internal */
export interface ImplRecord {
  /** The plugin it belongs to. */
  readonly state: PluginState;
  /** The hook it implements. */
  readonly caller: HookCaller;
  /** The implementation (a wrapper gets next() as its second argument). */
  // deno-lint-ignore no-explicit-any
  readonly fn: (...args: any[]) => unknown;
  /** Whether it is a wrapper. */
  readonly wrapper: boolean;
  /** 0 tryFirst, 1 plain, 2 tryLast. */
  readonly rank: number;
  /** Registration order. */
  readonly seq: number;
  /** The implementation's own deadline, if it set one. */
  readonly ownTimeoutMs: number | undefined;
  /** The deadline in force: own, else the hook's, else the manager's. */
  timeoutMs: number;
  /** Invocations so far: they add up to the plugin's call count. */
  ticks: number;
  /**
   * Timed invocations: the invocations they stand for, and their durations times
   * the same weights. Kept per implementation, so that each hook's samples are
   * scaled to that hook's calls (see the manager's stats()).
   */
  sampledCalls: number;
  /** The timed durations, each times its weight, in milliseconds. */
  sampledMs: number;
  /** Timeouts and outlying samples, counted one by one rather than scaled like samples. */
  exactCalls: number;
  /** Their total duration in milliseconds: measured, or a timeout's deadline when untimed. */
  exactMs: number;
  /** The duration of the last timed invocation (NaN before the first), against which outliers are told. */
  lastSampleMs: number;
  /** Whether results are checked against the hook's result schema. */
  readonly checksResult: boolean;
  /** Whether the function may read `ctx` (and so gets a fresh one per invocation). */
  wantsCtx: boolean | undefined;
  /** The context given to invocations that do not read it (no per-call allocation). */
  readonly sharedCtx: HookContext;
}

/**
 * One hook's implementations in call order, rebuilt only when registration
 * changes. A call takes the two lists as they are when it starts, so changes made
 * during a call apply from the next one. @internal
 */
export class HookCaller {
  /** The hook's name. */
  readonly name: string;
  /** Its spec. */
  readonly spec: HookSpec;
  /** Where the spec came from (for messages). */
  readonly source: string;
  /** The manager's deadline, for implementations and specs that set none. */
  private readonly defaultTimeoutMs: number;
  /** Wrappers, outermost first. */
  wrappers: ImplRecord[] = [];
  /** Plain implementations in call order. */
  impls: ImplRecord[] = [];
  /** Every record in registration order. */
  readonly records: ImplRecord[] = [];
  /** Remembered arguments, for historic hooks. */
  readonly history: unknown[] | undefined;

  /**
   * A hook's call lists, empty until implementations are registered.
   *
   * @param name The hook's name.
   * @param spec Its spec.
   * @param source Where the spec came from (for messages).
   * @param defaultTimeoutMs The manager's deadline, for implementations and specs that set none.
   */
  constructor(name: string, spec: HookSpec, source: string, defaultTimeoutMs: number) {
    this.name = name;
    this.spec = spec;
    this.source = source;
    this.defaultTimeoutMs = defaultTimeoutMs;
    this.history = spec.historic ? [] : undefined;
  }

  /**
   * Set when registration changed: the call lists are rebuilt by the next call, so
   * that registering many plugins sorts each hook's list once, not once per plugin.
   */
  stale = false;

  /** Registration changed: rebuild the call lists before the next call. */
  invalidate(): void {
    this.stale = true;
    this.compiled = undefined;
    this.chain = undefined;
  }

  /** The compiled form of `impls`, made on first use after each rebuild. */
  compiled: CompiledCall | undefined;

  /**
   * The compiled form of `wrappers` (see _chain.ts), made on first use after each
   * rebuild; null when calls through them take the general path.
   */
  chain: CompiledChain | null | undefined;

  /** When the next call through the fast paths is timed (see _sampling.ts). */
  readonly plain: Countdown = new Countdown();
  /** When the next call through the wrappers is timed. */
  readonly wrapped: Countdown = new Countdown();

  /** Sorts the records into two new call lists (never mutating the old ones). */
  rebuild(): void {
    this.stale = false;
    this.compiled = undefined;
    this.chain = undefined;
    // The next call is timed, so that a new implementation's first call is measured.
    this.plain.reset();
    this.wrapped.reset();
    const timeout = this.spec.timeoutMs ?? this.defaultTimeoutMs;
    for (const record of this.records) record.timeoutMs = record.ownTimeoutMs ?? timeout;
    const sorted = [...this.records].sort((a, b) => a.rank - b.rank || a.seq - b.seq);
    this.wrappers = sorted.filter((record) => record.wrapper);
    this.impls = sorted.filter((record) => !record.wrapper);
  }
}

/** How the runner behaves; fixed for a manager's lifetime. @internal */
export interface RunnerSettings {
  /** Rethrow implementation failures (`onError: "throw"`). */
  readonly strict: boolean;
  /** Validate arguments and results against the hook specs. */
  readonly validate: boolean;
  /** Consecutive failures that suspend a plugin; 0 turns the breaker off. */
  readonly breakerThreshold: number;
  /** How many failure records to keep. */
  readonly maxFailures: number;
  /** Where failures are logged. */
  readonly logger: Logger;
  /**
   * 0 times every call (`timing: "every-call"`). Otherwise calls are timed at
   * intervals that adapt to the cost of the implementations (see _sampling.ts).
   */
  readonly sampleMask: number;
}

/**
 * Runs hook calls. One per manager. @internal
 */
export class HookRunner {
  /** How the runner behaves. */
  readonly settings: RunnerSettings;
  /** Replaced, never mutated, so that a monitor removed during a call does not skip another. */
  monitors: readonly Monitor[] = [];
  /** Recorded failures, oldest first, at most settings.maxFailures. */
  readonly failures: FailureRecord[] = [];
  /** Deadlines of pending implementations on the fast path. */
  readonly deadlines: Deadlines = new Deadlines();

  /**
   * A runner with no monitors and no failures recorded.
   *
   * @param settings How the runner behaves.
   */
  constructor(settings: RunnerSettings) {
    this.settings = settings;
  }

  /**
   * Validates and freezes `args`, then runs the hook's implementations.
   * Returns the result synchronously when every implementation did.
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
    const wrappers = caller.wrappers;
    if (wrappers.length === 0) return this.runPlain(caller, caller.impls, args);
    // Monitors see every duration; otherwise calls through wrappers are sampled as
    // the plain lists are, on their own countdown (see _sampling.ts).
    if (this.monitors.length > 0) {
      return this.runLevel(new Call(caller, wrappers, caller.impls, args, 1), 0);
    }
    const countdown = caller.wrapped;
    if (--countdown.until > 0) {
      const chain = caller.chain === undefined ? caller.chain = compileChain(this, caller) : caller.chain;
      if (chain !== null) return chain(args);
      return this.runLevel(new Call(caller, wrappers, caller.impls, args, 0), 0);
    }
    const weight = countdown.planned - countdown.until;
    const everyCall = this.settings.sampleMask === 0;
    const start = performance.now();
    const count = wrappers.length + caller.impls.length;
    let result: unknown;
    try {
      result = this.runLevel(new Call(caller, wrappers, caller.impls, args, weight), 0);
    } catch (error) {
      countdown.after(start, undefined, count, everyCall);
      throw error;
    }
    return countdown.after(start, result, count, everyCall);
  }

  /**
   * Replays a historic hook's remembered calls, in order, to one new implementation,
   * including calls made while the replay runs; then `caughtUp` attaches it to the
   * call lists, in the same tick as the last replayed call, so no call is missed or
   * seen twice.
   */
  replay(record: ImplRecord, caughtUp: () => void): Promise<void> | undefined {
    const history = record.caller.history ?? [];
    const single = [record];
    let index = 0;
    const step = (): Promise<void> | undefined => {
      try {
        while (index < history.length && !record.state.removed) {
          const result = this.runPlain(record.caller, single, history[index++]);
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

  /** Runs one wrapper level of a call, or the plain implementations below the last one. */
  runLevel(call: Call, depth: number): unknown {
    const wrappers = call.wrappers;
    if (depth === wrappers.length) return this.runPlain(call.caller, call.impls, call.args);
    const record = wrappers[depth];
    if (record.state.off) return this.runLevel(call, depth + 1);
    const frame = new Frame(this, call, depth + 1);
    let result: unknown;
    try {
      result = this.invoke(record, call.args, frame, call.weight);
    } catch (error) {
      // Strict mode, or a logger that threw: the wrapper's call has ended all the same.
      frame.close();
      throw error;
    }
    // invoke() returns a promise only when the wrapper returned a thenable; an array is the usual answer.
    if (!Array.isArray(result) && result instanceof Promise) return this.afterWrapper(result, frame);
    const value = result === SKIP ? frame.next() : result;
    // A synchronous wrapper's call has ended: a next() it kept must not run the inner levels late.
    frame.close();
    return value;
  }

  /** A wrapper's settled outcome: its answer, or the inner result when it failed. */
  afterWrapper(settled: Promise<unknown>, frame: Frame): Promise<unknown> {
    return settled.then((value) => value === SKIP ? frame.next() : value);
  }

  /**
   * Runs plain implementations of `caller` (its current list, or a snapshot or a
   * single record): through the compiled list when it is the current one, the fast
   * loop otherwise, and the general path when monitors need every invocation.
   */
  runPlain(caller: HookCaller, impls: ImplRecord[], args: unknown): unknown {
    const first = caller.spec.firstResult;
    if (this.monitors.length === 0) {
      if (impls === caller.impls && impls.length <= MAX_COMPILED) {
        return (caller.compiled ??= compileCall(impls, first))(this, args);
      }
      return runFast(this, impls, first, args);
    }
    let acc: unknown[] | undefined;
    for (let i = 0; i < impls.length; i++) {
      const result = this.invoke(impls[i], args, undefined, 1);
      if (result === SKIP || result === undefined || result === null) continue;
      if (result instanceof Promise) return this.runPlainAsync(impls, first, args, i, result, acc);
      if (first) return result;
      (acc ??= []).push(result);
    }
    return first ? undefined : acc ?? [];
  }

  /** The rest of a monitored call, from the first implementation that returned a promise. */
  private async runPlainAsync(
    impls: ImplRecord[],
    first: boolean,
    args: unknown,
    index: number,
    pending: Promise<unknown>,
    acc: unknown[] | undefined,
  ): Promise<unknown> {
    let result = await pending;
    for (;;) {
      if (result !== SKIP && result !== undefined && result !== null) {
        if (first) return result;
        (acc ??= []).push(result);
      }
      if (++index >= impls.length) break;
      result = this.invoke(impls[index], args, undefined, 1);
      if (result instanceof Promise) result = await result;
    }
    return first ? undefined : acc ?? [];
  }

  /**
   * Runs one implementation. Returns its result, SKIP when it failed or is
   * suspended, or (only when it returned a thenable) a promise of either. `weight`
   * is 0 for an untimed invocation, else the invocations its duration stands for.
   */
  private invoke(record: ImplRecord, args: unknown, frame: Frame | undefined, weight: number): unknown {
    const state = record.state;
    if (state.off) return SKIP;
    record.ticks++;
    const timed = weight > 0;
    if (frame !== undefined) frame.timed = timed;
    const ctx = needsContext(record) ? new InvocationContext(record) : record.sharedCtx;
    if (this.monitors.length > 0) this.notifyBefore(record, args);
    const start = timed ? performance.now() : NaN;
    let result: unknown;
    try {
      // Called as a plain function, as on the compiled paths: `this` is undefined, never the record.
      const fn = record.fn;
      result = frame === undefined ? fn(args, ctx) : fn(args, frame.next, ctx);
    } catch (error) {
      return this.failed(record, args, error, start, "error", frame, weight);
    }
    if (isThenable(result)) return this.settle(record, args, result, start, ctx, frame, weight);
    return this.succeeded(record, args, result, start, frame, weight);
  }

  /**
   * Waits for a pending implementation up to its deadline. A wrapper's deadline
   * runs only while the wrapper itself is working: the clock stops while the inner
   * implementations it awaited through next() are pending.
   */
  settle(
    record: ImplRecord,
    args: unknown,
    pending: PromiseLike<unknown>,
    start: number,
    ctx: HookContext,
    frame: Frame | undefined,
    weight: number,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let remaining = record.timeoutMs;
      let armedAt = 0;
      const finish = (outcome: () => unknown): void => {
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        if (frame !== undefined) frame.clock = undefined;
        try {
          resolve(outcome());
        } catch (thrown) {
          reject(thrown);
        }
      };
      const expire = (): void => {
        timer = undefined;
        const error = new HookTimeoutError(record.state.name, record.caller.name, record.timeoutMs);
        if (ctx instanceof InvocationContext) ctx.abort(error);
        finish(() => this.failed(record, args, error, start, "timeout", frame, weight));
      };
      const arm = (): void => {
        if (settled || timer !== undefined) return;
        armedAt = performance.now();
        timer = setTimeout(expire, Math.max(0, remaining));
      };
      const pause = (): void => {
        if (timer === undefined) return;
        clearTimeout(timer);
        timer = undefined;
        remaining -= performance.now() - armedAt;
      };
      if (frame !== undefined) frame.clock = { pause, resume: arm };
      if (frame === undefined || frame.innerPending === 0) arm();
      try {
        pending.then(
          (value) =>
            settled
              ? this.late(record, "returned")
              : finish(() => this.succeeded(record, args, value, start, frame, weight)),
          (error) =>
            settled
              ? this.late(record, "failed")
              : finish(() => this.failed(record, args, error, start, "error", frame, weight)),
        );
      } catch (error) {
        // A thenable whose then() throws has failed like any other implementation.
        if (!settled) finish(() => this.failed(record, args, error, start, "error", frame, weight));
      }
    });
  }

  /** Accounts a general-path invocation that returned: checks, times and reports it. */
  succeeded(
    record: ImplRecord,
    args: unknown,
    result: unknown,
    start: number,
    frame: Frame | undefined,
    weight: number,
  ): unknown {
    const spec = record.caller.spec;
    if (record.wrapper && !spec.firstResult && !Array.isArray(result)) {
      const error = new BernsteinError(
        `Wrapper of plugin "${record.state.name}" for hook "${record.caller.name}" returned ${
          describe(result)
        }; return the value of next() or a replacement list`,
      );
      return this.failed(record, args, error, start, "error", frame, weight);
    }
    if (!record.wrapper || spec.firstResult) {
      result = this.checkResult(record, result);
      if (result instanceof InvalidResult) {
        return this.failed(record, args, result.error, start, "error", frame, weight);
      }
    }
    const state = record.state;
    if (start === start) {
      const duration = performance.now() - start - (frame?.innerMs ?? 0);
      this.count(record, duration, weight);
      if (this.monitors.length > 0) this.notifyAfter(record, args, "ok", duration, result, undefined);
    }
    if (state.consecutiveFailures !== 0) state.consecutiveFailures = 0;
    return result;
  }

  /**
   * Accounts a plain implementation's synchronous or settled result on the fast
   * path: checks it against the result schema, counts the call, and times it when
   * `start` is a number (a sampled invocation).
   *
   * @returns The result, or SKIP when it was invalid (recorded as a failure).
   */
  ok(record: ImplRecord, args: unknown, result: unknown, start: number, weight: number): unknown {
    if (record.checksResult) {
      result = this.checkResult(record, result);
      if (result instanceof InvalidResult) {
        return this.failed(record, args, result.error, start, "error", undefined, weight);
      }
    }
    const state = record.state;
    if (start === start) this.count(record, performance.now() - start, weight);
    if (state.consecutiveFailures !== 0) state.consecutiveFailures = 0;
    return result;
  }

  /**
   * A timed invocation: its duration counts towards totalMs, weighted by the
   * invocations it stands for, fixed when its call was picked: 1 when monitors time
   * every call, else the calls since the previous timed one (see _sampling.ts).
   * Weights keep a cold first call from standing for all the calls after it.
   *
   * A sample that stands for several calls and took far longer than the sample
   * before it counts once, as it is, like a timeout: on a trivial implementation
   * sampled one call in thousands, a single preemption or GC pause would otherwise
   * add seconds to the total. Only the first sample after a jump is set apart: if
   * the implementation really became slow, the next one is as slow and counts in
   * full (and comes soon, as the interval follows the duration).
   */
  private count(record: ImplRecord, duration: number, weight: number): void {
    const stats = record.state.stats;
    if (duration > stats.maxMs) stats.maxMs = duration;
    const last = record.lastSampleMs;
    record.lastSampleMs = duration;
    if (weight > 1 && duration > OUTLIER * last) {
      record.exactCalls++;
      record.exactMs += duration;
      return;
    }
    record.sampledCalls += weight;
    record.sampledMs += duration * weight;
  }

  /**
   * A result checked against the hook's result schema: the schema's output (with
   * its transforms and defaults), or an InvalidResult carrying the error.
   */
  private checkResult(record: ImplRecord, result: unknown): unknown {
    const schema = record.caller.spec.result;
    if (schema === undefined || !this.settings.validate || result === undefined || result === null) {
      return result;
    }
    const parsed = v.safeParse(schema, result);
    if (parsed.success) return parsed.output;
    const problem = issueToProblem(parsed.issues[0]);
    return new InvalidResult(
      new BernsteinError(
        `Plugin "${record.state.name}" returned an invalid result from hook "${record.caller.name}": ${
          problem.path ? `${problem.path}: ` : ""
        }${problem.message}`,
      ),
    );
  }

  /**
   * Records a failed invocation: counts, logs, feeds the circuit breaker, tells the
   * monitors. `start` is NaN when the invocation was not timed (a timeout then
   * counts as lasting its deadline). Throws the error in strict mode. `quiet`
   * tells no monitor: one attached during a compiled call saw no start of it.
   */
  failed(
    record: ImplRecord,
    args: unknown,
    error: unknown,
    start: number,
    kind: "error" | "timeout",
    frame: Frame | undefined,
    weight: number,
    quiet = false,
  ): typeof SKIP {
    const state = record.state;
    const measured = start === start ? performance.now() - start - (frame?.innerMs ?? 0) : NaN;
    const duration = measured === measured ? measured : kind === "timeout" ? record.timeoutMs : 0;
    if (kind === "timeout") {
      // A timeout counts once, as it is: its measured length, or its deadline when the call
      // was not timed. Scaled like a sample, one timeout would stand for the cheap calls
      // before it; those are estimated from the other samples instead.
      record.exactCalls++;
      record.exactMs += duration;
      if (duration > state.stats.maxMs) state.stats.maxMs = duration;
    } else if (measured === measured) {
      this.count(record, duration, weight);
    }
    const stats = state.stats;
    const { maxFailures, logger, breakerThreshold, strict } = this.settings;
    if (frame !== undefined && error === frame.innerError) {
      // Strict mode: a wrapper let an inner error through; that is not its own failure.
      if (this.monitors.length > 0) this.notifyAfter(record, args, "error", duration, undefined, error);
      throw error;
    }
    if (kind === "timeout") stats.timeouts++;
    else stats.errors++;
    const failures = this.failures;
    failures.push({ plugin: state.name, hook: record.caller.name, kind, error, time: Date.now() });
    if (failures.length > maxFailures) failures.splice(0, failures.length - maxFailures);
    logger.error(
      kind === "timeout"
        ? `${messageOf(error)}; the call went on without it`
        : `Plugin "${state.name}" failed in hook "${record.caller.name}": ${messageOf(error)}`,
    );
    state.consecutiveFailures++;
    if (breakerThreshold > 0 && state.consecutiveFailures >= breakerThreshold && !state.suspended) {
      state.suspended = true;
      state.off = true;
      logger.error(
        `Plugin "${state.name}" suspended after ${state.consecutiveFailures} consecutive failures; ` +
          `fix it and call resume("${state.name}") to enable it again`,
      );
    }
    if (this.monitors.length > 0 && !quiet) this.notifyAfter(record, args, kind, duration, undefined, error);
    if (strict) {
      frame?.close();
      throw error;
    }
    return SKIP;
  }

  /** Logs a result or failure that arrived after the deadline. */
  late(record: ImplRecord, what: string): void {
    this.settings.logger.debug(
      `Plugin "${record.state.name}" ${what} from hook "${record.caller.name}" after its deadline; ignored`,
    );
  }

  /** Tells the monitors an invocation starts. */
  private notifyBefore(record: ImplRecord, args: unknown): void {
    const event: BeforeEvent = {
      plugin: record.state.name,
      hook: record.caller.name,
      args,
      wrapper: record.wrapper,
    };
    for (const monitor of this.monitors) {
      try {
        monitor.before?.(event);
      } catch (error) {
        this.settings.logger.error(`A hook monitor failed: ${messageOf(error)}`);
      }
    }
  }

  /** Tells the monitors how an invocation ended. */
  private notifyAfter(
    record: ImplRecord,
    args: unknown,
    outcome: AfterEvent["outcome"],
    durationMs: number,
    result: unknown,
    error: unknown,
  ): void {
    const event: AfterEvent = {
      plugin: record.state.name,
      hook: record.caller.name,
      args,
      wrapper: record.wrapper,
      outcome,
      durationMs,
      result,
      error,
    };
    for (const monitor of this.monitors) {
      try {
        monitor.after?.(event);
      } catch (thrown) {
        this.settings.logger.error(`A hook monitor failed: ${messageOf(thrown)}`);
      }
    }
  }
}

/** A frame's `inner` while the inner levels run (and after they threw). */
const INNER_RUNNING: unique symbol = Symbol("inner running");

/** What a next() called after its wrapper's call ended throws. @internal */
export const NEXT_AFTER_END = "next() was called after the wrapper's call had ended; it does nothing now";

/** What a next() called from inside the implementations it runs throws. @internal */
export const NEXT_FROM_INSIDE =
  "next() was called from inside the implementations it runs; it cannot run them again";

/** What stays the same through every wrapper level of one call. @internal */
export class Call {
  readonly caller: HookCaller;
  readonly wrappers: ImplRecord[];
  readonly impls: ImplRecord[];
  readonly args: unknown;
  /** 0 when the wrappers' durations are not measured in this call, else the calls it stands for. */
  readonly weight: number;

  constructor(
    caller: HookCaller,
    wrappers: ImplRecord[],
    impls: ImplRecord[],
    args: unknown,
    weight: number,
  ) {
    this.caller = caller;
    this.wrappers = wrappers;
    this.impls = impls;
    this.args = args;
    this.weight = weight;
  }
}

/** One wrapper level of one call: runs the inner levels at most once. @internal */
export class Frame {
  private called: boolean;
  private closed: boolean;
  private inner: unknown;
  /** The error the inner levels raised (strict mode only). */
  innerError: unknown;
  /** Inner levels still pending (0 or 1); the wrapper's clock stops meanwhile. */
  innerPending: number;
  /** Time spent in the inner levels, which is not the wrapper's own (measured when timed). */
  innerMs: number;
  /** Whether this wrapper invocation is timed (then the inner time is measured too). */
  timed: boolean;
  /** Pauses and resumes the wrapper's deadline while the inner levels are pending. */
  clock: { pause(): void; resume(): void } | undefined;
  private readonly runner: HookRunner;
  private readonly call: Call;
  private readonly depth: number;

  // Fields assigned in the constructor rather than declared with initialisers: one
  // frame is made per wrapper level per call, and plain assignments cost less.
  constructor(runner: HookRunner, call: Call, depth: number) {
    this.runner = runner;
    this.call = call;
    this.depth = depth;
    this.called = false;
    this.closed = false;
    this.inner = undefined;
    this.innerError = NO_ERROR;
    this.innerPending = 0;
    this.innerMs = 0;
    this.timed = false;
    this.clock = undefined;
    this.next = this.runNext.bind(this);
  }

  /**
   * Hands the wrapper its next(). Bound in the constructor: a bound function costs
   * less to make than an arrow function and its context, and tsx's keep-names
   * transform does not rename it on every call (as it would a class-field arrow).
   */
  readonly next: () => unknown;

  private runNext(): unknown {
    if (this.closed) {
      throw new BernsteinError(NEXT_AFTER_END);
    }
    if (this.called) {
      if (this.innerError !== NO_ERROR && !(this.inner instanceof Promise)) throw this.innerError;
      if (this.inner === INNER_RUNNING) throw new BernsteinError(NEXT_FROM_INSIDE);
      return this.inner;
    }
    this.called = true;
    this.inner = INNER_RUNNING;
    const start = this.timed ? performance.now() : 0;
    let inner: unknown;
    try {
      inner = this.runner.runLevel(this.call, this.depth);
    } catch (error) {
      if (this.timed) this.innerMs += performance.now() - start;
      this.innerError = error;
      throw error;
    }
    return this.keep(inner, start);
  }

  /**
   * Keeps what the inner levels returned, as the answer to every later next(). A
   * promise stops the wrapper's clock until it settles. Also used by compiled
   * chains (see _chain.ts), which ran the inner levels themselves.
   *
   * @param inner What the inner levels returned.
   * @param start When they started, for a timed frame.
   * @returns What next() returns: `inner`, or a promise that follows it.
   */
  keep(inner: unknown, start: number): unknown {
    this.called = true;
    this.inner = inner;
    if (Array.isArray(this.inner) || !(this.inner instanceof Promise)) {
      if (this.timed) this.innerMs += performance.now() - start;
    } else {
      this.innerPending = 1;
      this.clock?.pause();
      const done = (): void => {
        this.innerPending = 0;
        if (this.timed) this.innerMs += performance.now() - start;
        this.clock?.resume();
      };
      let inner = this.inner.then((value) => (done(), value), (error) => {
        done();
        throw error;
      });
      if (this.runner.settings.strict) {
        inner = inner.catch((error) => {
          this.innerError = error;
          throw error;
        });
      }
      // Handled here so that a wrapper that never awaits next() leaves no unhandled rejection.
      inner.catch(() => {});
      this.inner = inner;
    }
    return this.inner;
  }

  /** Keeps an error the inner levels threw (as a compiled chain saw it) for every later next() to throw. */
  keepError(error: unknown): void {
    this.called = true;
    this.innerError = error;
  }

  /** Ends the frame with its wrapper's call: a next() kept and called later throws instead of running the inner levels. */
  close(): void {
    this.closed = true;
  }
}

/**
 * Whether an implementation may read `ctx`, and so gets a fresh one per invocation.
 * Decided on first use rather than at registration: reading a function's source
 * (Function.prototype.toString) is slow on Deno, and `plugins check` calls nothing.
 */
export function needsContext(record: ImplRecord): boolean {
  return record.wantsCtx ??= !ignoresArgument(record.fn, record.wrapper ? 2 : 1);
}

/** A result that failed the hook's result schema. */
class InvalidResult {
  readonly error: BernsteinError;

  constructor(error: BernsteinError) {
    this.error = error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
