/**
 * Hook callers and implementation records, as pluggy's HookCaller and HookImpl: a
 * caller holds one hook's implementations in call order, a record holds what the
 * call loop needs to know about one implementation. The manager makes them; the
 * runner reads them.
 *
 * @module
 */
import type { Logger } from "./logger.ts";
import { scopedLogger } from "./logger.ts";
import type { HookContext, HookImplOptions, Plugin } from "./plugin.ts";
import type { HookSpec, HookSpecs } from "./spec.ts";
import { Countdown, type ImplCounters, type PluginStats } from "./stats.ts";
import { ignoresArgument } from "./_params.ts";
import { compilePlain, type PlainList } from "./_compiled.ts";

/** Per-plugin bookkeeping the runner reads and updates. @internal */
export interface PluginState {
  /** The registered plugin. */
  readonly plugin: Plugin<HookSpecs>;
  /** Its name. */
  readonly name: string;
  /** Its logger, scoped to its name. */
  readonly logger: Logger;
  /** Its counters (calls and totalMs are computed from the records). */
  readonly stats: PluginStats;
  /** Aborted when the plugin is unregistered; the signal of shared contexts. */
  readonly lifetime: AbortController;
  /** Failures since its last success: the circuit breaker's count. */
  consecutiveFailures: number;
  /** Suspended by the circuit breaker until resume(). */
  suspended: boolean;
  /** Set when unregistered, so that calls already under way skip it. */
  removed: boolean;
  /** suspended || removed, kept in one flag for the call loop. */
  off: boolean;
  /** The plugin's implementation records, whose `ticks` add up to its calls. */
  readonly records: ImplRecord[];
}

/**
 * A plugin's bookkeeping before it joins any hook.
 *
 * @example
 * ```ts
 * import { createPluginState } from "./hooks.ts";
 * import { silentLogger } from "./logger.ts";
 * const state = createPluginState({ name: "p", hooks: {} }, silentLogger);
 * if (state.off || state.stats.calls !== 0) throw new Error("not fresh");
 * ```
 *
 * @param plugin The plugin being registered.
 * @param logger The manager's logger, which the plugin's is scoped from.
 * @returns Its state: on, with zeroed counters.
 */
export function createPluginState(plugin: Plugin<HookSpecs>, logger: Logger): PluginState {
  return {
    plugin,
    name: plugin.name,
    logger: scopedLogger(logger, plugin.name),
    stats: { calls: 0, errors: 0, timeouts: 0, totalMs: 0, maxMs: 0 },
    lifetime: new AbortController(),
    consecutiveFailures: 0,
    suspended: false,
    removed: false,
    off: false,
    records: [],
  };
}

/** One implementation of one hook, with everything the loop needs precomputed. @internal */
export interface ImplRecord extends ImplCounters {
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
  /** Whether results are checked against the hook's result schema. */
  readonly checksResult: boolean;
  /** Whether the function may read `ctx` (and so gets a fresh one per invocation); see needsContext(). */
  wantsCtx: boolean | undefined;
  /** The context given to invocations that do not read it (no per-call allocation). */
  readonly sharedCtx: HookContext;
  /** A call list of this implementation alone, for historic replays; made on first use. */
  alone: PlainList<ImplRecord> | undefined;
}

/** What {@linkcode createRecord} needs besides the caller and the plugin. @internal */
export interface RecordOptions {
  /** The implementation: a function, or an options object with `handler` or `wrapper`. */
  readonly impl: unknown;
  /** Registration order of its plugin. */
  readonly seq: number;
  /** Whether the manager validates results. */
  readonly validate: boolean;
}

/**
 * The record of one implementation, not yet in its caller's lists.
 *
 * @example
 * ```ts
 * import { createPluginState, createRecord, HookCaller } from "./hooks.ts";
 * import { silentLogger } from "./logger.ts";
 * import { bernsteinHookSpecs } from "./hookspecs.ts";
 * const caller = new HookCaller("onTaskCreated", bernsteinHookSpecs.onTaskCreated, {
 *   source: "bernstein",
 *   defaultTimeoutMs: 1000,
 *   everyCall: false,
 * });
 * const state = createPluginState({ name: "p", hooks: {} }, silentLogger);
 * const record = createRecord(caller, state, { impl: { handler: () => {}, tryFirst: true }, seq: 0, validate: true });
 * if (record.rank !== 0 || record.timeoutMs !== 1000) throw new Error("wrong record");
 * ```
 *
 * @param caller The hook it implements.
 * @param state Its plugin.
 * @param options The implementation, its order and the manager's validation.
 * @returns The record, with zeroed counters.
 */
export function createRecord(caller: HookCaller, state: PluginState, options: RecordOptions): ImplRecord {
  type Fn = (...args: unknown[]) => unknown;
  const { impl, seq } = options;
  const given = (typeof impl === "function" ? { handler: impl } : impl) as HookImplOptions & {
    handler?: Fn;
    wrapper?: Fn;
  };
  // Every field written out in one literal: a spread would leave the counters that
  // the call loop updates outside the object, a load slower on every invocation.
  return {
    ticks: 0,
    sampledCalls: 0,
    sampledMs: 0,
    exactCalls: 0,
    exactMs: 0,
    lastSampleMs: Infinity,
    state,
    caller,
    fn: (given.wrapper ?? given.handler) as Fn,
    wrapper: given.wrapper !== undefined,
    rank: given.tryFirst ? 0 : given.tryLast ? 2 : 1,
    seq,
    ownTimeoutMs: given.timeoutMs,
    // As rebuild() would set it: a historic replay runs before the record joins the lists.
    timeoutMs: given.timeoutMs ?? caller.spec.timeoutMs ?? caller.defaultTimeoutMs,
    checksResult: caller.spec.result !== undefined && options.validate,
    wantsCtx: undefined,
    sharedCtx: { plugin: state.name, hook: caller.name, logger: state.logger, signal: state.lifetime.signal },
    alone: undefined,
  };
}

/**
 * Whether an implementation may read `ctx`, and so gets a fresh one per invocation.
 * Decided on first use rather than at registration: reading a function's source
 * (Function.prototype.toString) is slow on Deno, and `plugins check` calls nothing.
 *
 * @param record The implementation.
 * @returns False only when it certainly ignores its context argument.
 */
export function needsContext(record: ImplRecord): boolean {
  return record.wantsCtx ??= !ignoresArgument(record.fn, record.wrapper ? 2 : 1);
}

/** What a {@linkcode HookCaller} is made with besides its name and spec. @internal */
export interface CallerOptions {
  /** Where the spec came from (for messages). */
  readonly source: string;
  /** The manager's deadline, for implementations and specs that set none. */
  readonly defaultTimeoutMs: number;
  /** Time every call (`timing: "every-call"`). */
  readonly everyCall: boolean;
}

/**
 * One hook's implementations in call order, rebuilt only when registration
 * changes. A call takes the lists as they are when it starts, so changes made
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
  readonly defaultTimeoutMs: number;
  /** Wrappers, outermost first. */
  wrappers: ImplRecord[] = [];
  /** Plain implementations in call order. */
  impls: ImplRecord[] = [];
  /** Every record in registration order. */
  readonly records: ImplRecord[] = [];
  /** Remembered arguments, for historic hooks. */
  readonly history: unknown[] | undefined;
  /** When the next call of the plain implementations is timed (see stats.ts). */
  readonly plain: Countdown;
  /** When the next call through the wrappers is timed. */
  readonly wrapped: Countdown;
  /**
   * Set when registration changed: the call lists are rebuilt by the next call, so
   * that registering many plugins sorts each hook's list once, not once per plugin.
   */
  stale = false;
  /** The generated call list of `impls`, made on first use after each rebuild. */
  private list: PlainList<ImplRecord> | undefined;

  /**
   * A hook's call lists, empty until implementations are registered.
   *
   * @param name The hook's name.
   * @param spec Its spec.
   * @param options Its source, the manager's deadline and timing.
   */
  constructor(name: string, spec: HookSpec, options: CallerOptions) {
    this.name = name;
    this.spec = spec;
    this.source = options.source;
    this.defaultTimeoutMs = options.defaultTimeoutMs;
    this.history = spec.historic ? [] : undefined;
    this.plain = new Countdown(options.everyCall);
    this.wrapped = new Countdown(options.everyCall);
  }

  /** Registration changed: rebuild the call lists before the next call. */
  invalidate(): void {
    this.stale = true;
    this.list = undefined;
  }

  /**
   * The plain implementations' generated call list, current as of the last rebuild.
   *
   * @returns The list (generated on first use).
   */
  plainList(): PlainList<ImplRecord> {
    return this.list ??= compilePlain(this.impls, {
      first: this.spec.firstResult === true,
      countdown: this.plain,
      needsContext,
    });
  }

  /**
   * A call list of one implementation alone (a historic replay's).
   *
   * @param record One of this hook's implementations.
   * @returns Its list (generated on first use).
   */
  aloneList(record: ImplRecord): PlainList<ImplRecord> {
    return record.alone ??= compilePlain([record], {
      first: this.spec.firstResult === true,
      countdown: this.plain,
      needsContext,
    });
  }

  /** Sorts the records into new call lists (never mutating the old ones). */
  rebuild(): void {
    this.stale = false;
    this.list = undefined;
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
