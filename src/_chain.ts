// Compiled wrapper chains. A call through wrappers used to allocate, at every level,
// a frame and the next() bound to it, and to call every wrapper from one shared call
// site: about 30 ns a level, ten times a whole call of ten plain implementations.
//
// For each hook the runner generates (with new Function, like _compiled.ts) one
// function per wrapper level, and one next() per level that is made once and reused
// by every call. A level's state (has next() run, and what did it return) lives in a
// slot per level. That is sound while calls do not overlap at a level, which holds
// for what the compiled chain runs:
// - synchronous calls only: the first time a wrapper returns a thenable, its level
//   hands the rest of that invocation to the general path (a Frame of its own, see
//   runner.ts) and the hook's chain is switched off for good; async functions are
//   never compiled;
// - no re-entry: a call made while the chain is running (a wrapper calling its own
//   hook) takes the general path;
// - no monitors, not strict, untimed calls (timed and monitored calls need the
//   general path's clock and events; a monitor attached during a compiled call sees
//   its plain implementations, not its wrappers).
// A next() called after its wrapper returned throws, as on the general path, when it
// is called between calls. One kept from an earlier call and called during a later
// call of the same hook cannot be told from that call's own (they are one function):
// it gives that call's inner result, where the general path throws. Calling a
// next() after the wrapper's invocation ended is a bug in the plugin either way.
// An exception that starts below a wrapper (a broken thenable, a logger that throws)
// passes through it without being counted as its failure, as on the general path.
import { BernsteinError } from "./errors.ts";
import { InvocationContext, isThenable, NO_ERROR, SKIP } from "./_invocation.ts";
import type { HookContext } from "./plugin.ts";
import {
  Call,
  Frame,
  type HookCaller,
  type HookRunner,
  type ImplRecord,
  needsContext,
  NEXT_AFTER_END,
  NEXT_FROM_INSIDE,
} from "./runner.ts";

/** A compiled chain: runs one untimed call through the wrappers. */
export type CompiledChain = (args: unknown) => unknown;

/** Above this many wrappers the general path is used. */
const MAX_LEVELS = 64;

/** A slot's `inner` while its wrapper runs and has not called next(). */
const UNCALLED: unique symbol = Symbol("uncalled");
/** A slot's `inner` while its wrapper is not running. */
const IDLE: unique symbol = Symbol("idle");
/** A firstResult hook's slot's `inner` while its inner levels run (see Slot.running). */
const RUNNING: unique symbol = Symbol("running");

/** Marks a promise a wrapper may ignore as handled: it leaves no unhandled rejection. */
const ignore = (): void => {};

/** Wrappers seen returning a thenable: their hooks are never compiled again. */
const pendingWrappers = new WeakSet<ImplRecord>();

const AsyncFunction = (async () => {}).constructor;

/** What one call through a compiled chain shares between levels. */
interface ChainState {
  /** A call is running through the chain (a nested one takes the general path). */
  active: boolean;
  /** Its arguments. */
  args: unknown;
  /**
   * The last exception that started in the chain's own code (below the wrappers,
   * or in accounting), rather than in a wrapper. A wrapper that lets it through is
   * not blamed for it, as runner.failed() does with a frame's innerError.
   */
  error: unknown;
}

/** One wrapper level of a compiled chain: the state of the call running through it. */
class Slot {
  /**
   * UNCALLED, IDLE, or what next() returned; `running` while the inner levels run,
   * and after they threw (they never returned).
   */
  inner: unknown = IDLE;
  /**
   * What `inner` holds while the inner levels run: undefined for a list hook,
   * whose inner levels never return that (it costs less to store), else RUNNING.
   */
  private readonly running: undefined | typeof RUNNING;
  /** The frame of the invocation that went on asynchronously: its wrapper's later next() calls. */
  private detached: Frame | undefined = undefined;
  private readonly runner: HookRunner;
  private readonly caller: HookCaller;
  private readonly record: ImplRecord;
  private readonly wrappers: ImplRecord[];
  private readonly impls: ImplRecord[];
  private readonly depth: number;
  private readonly state: ChainState;

  constructor(
    runner: HookRunner,
    caller: HookCaller,
    wrappers: ImplRecord[],
    impls: ImplRecord[],
    depth: number,
    state: ChainState,
  ) {
    this.runner = runner;
    this.caller = caller;
    this.record = wrappers[depth];
    this.wrappers = wrappers;
    this.impls = impls;
    this.depth = depth;
    this.state = state;
    this.running = caller.spec.firstResult === true ? RUNNING : undefined;
  }

  /** The wrapper threw: recorded as its failure (SKIP), or thrown again if recording throws. */
  fail(args: unknown, error: unknown): unknown {
    try {
      // Quiet: a monitor attached during this call saw no start of this invocation either.
      return this.runner.failed(this.record, args, error, NaN, "error", undefined, 0, true);
    } catch (thrown) {
      this.inner = IDLE;
      this.state.error = thrown;
      throw thrown;
    }
  }

  /**
   * The wrapper returned something other than a list: checked as the general path
   * checks it (SKIP when it failed), or, for a thenable, carried on asynchronously.
   */
  answer(args: unknown, result: unknown, ctx: HookContext, inner: unknown): unknown {
    try {
      if (isThenable(result)) return this.detach(args, result, ctx, inner);
      return this.runner.succeeded(this.record, args, result, NaN, undefined, 0);
    } catch (thrown) {
      this.state.error = thrown;
      throw thrown;
    }
  }

  /**
   * The wrapper returned a thenable: the invocation goes on on the general path,
   * with a frame that holds what next() returned or threw, if it was called (a
   * promise there stops the wrapper's deadline clock until it settles), and the
   * hook's calls stop using the chain: a later call could not tell its next() from this one's.
   */
  private detach(
    args: unknown,
    pending: PromiseLike<unknown>,
    ctx: HookContext,
    inner: unknown,
  ): Promise<unknown> {
    pendingWrappers.add(this.record);
    this.caller.chain = null;
    const frame = new Frame(
      this.runner,
      new Call(this.caller, this.wrappers, this.impls, args, 0),
      this.depth + 1,
    );
    if (inner === this.running) frame.keepError(this.state.error);
    else if (inner !== UNCALLED) frame.keep(inner, 0);
    this.detached = frame;
    const promise = this.runner.afterWrapper(
      this.runner.settle(this.record, args, pending, NaN, ctx, frame, 0),
      frame,
    );
    promise.catch(ignore);
    return promise;
  }

  /**
   * next() called again after the inner levels threw (it throws that again), or
   * while the wrapper is not running. (A next() kept from an earlier call and called
   * during a later one cannot be told from the later call's own: see the top.)
   */
  late(inner: unknown): unknown {
    if (inner === this.running) {
      // Called again by its wrapper: the inner levels threw (or, called from inside them, still run).
      if (this.state.error !== NO_ERROR) throw this.state.error;
      throw new BernsteinError(NEXT_FROM_INSIDE);
    }
    if (this.detached !== undefined) return this.detached.next();
    throw new BernsteinError(NEXT_AFTER_END);
  }
}

/**
 * The compiled chain for `caller`'s current wrappers, or null when its calls must
 * take the general path.
 */
export function compileChain(runner: HookRunner, caller: HookCaller): CompiledChain | null {
  const wrappers = caller.wrappers;
  const impls = caller.impls;
  if (
    runner.settings.strict || wrappers.length > MAX_LEVELS ||
    wrappers.some((record) => pendingWrappers.has(record) || record.fn instanceof AsyncFunction)
  ) {
    return null;
  }
  const first = caller.spec.firstResult === true;
  const state: ChainState = { active: false, args: undefined, error: NO_ERROR };
  const slots = wrappers.map((_, depth) => new Slot(runner, caller, wrappers, impls, depth, state));
  const n = wrappers.length;
  const lines: string[] = [`"use strict";`];
  // See Slot.running; written into the source, where it costs least.
  const running = first ? "RUNNING" : "undefined";
  for (let i = 0; i < n; i++) {
    const fresh = needsContext(wrappers[i]);
    lines.push(
      `const W${i} = WRAPPERS[${i}], S${i} = W${i}.state, F${i} = W${i}.fn, M${i} = SLOTS[${i}];`,
      ...(fresh ? [] : [`const C${i} = W${i}.sharedCtx;`]),
      `function N${i}() {`,
      `  const inner = M${i}.inner;`,
      `  if (inner !== UNCALLED) return inner === IDLE || inner === ${running} ? M${i}.late(inner) : inner;`,
      `  M${i}.inner = ${running};`,
      `  return M${i}.inner = L${i + 1}(STATE.args);`,
      `}`,
      `function L${i}(args) {`,
      `  if (S${i}.off) return L${i + 1}(args);`,
      `  W${i}.ticks++;`,
      `  const ctx = ${fresh ? `new IC(W${i})` : `C${i}`};`,
      `  M${i}.inner = UNCALLED;`,
      `  let result;`,
      `  try {`,
      `    result = F${i}(args, N${i}, ctx);`,
      `  } catch (error) {`,
      // An inner error the wrapper let through is not its own failure (see runner.failed).
      `    if (M${i}.inner === ${running} && error === STATE.error) {`,
      `      M${i}.inner = IDLE;`,
      `      throw error;`,
      `    }`,
      `    result = M${i}.fail(args, error);`,
      `  }`,
      `  const inner = M${i}.inner;`,
      `  M${i}.inner = IDLE;`,
      // The usual answer: the list next() returned, or a replacement.
      ...(first ? [] : [
        `  if (Array.isArray(result)) {`,
        `    if (S${i}.consecutiveFailures !== 0) S${i}.consecutiveFailures = 0;`,
        `    return result;`,
        `  }`,
      ]),
      `  if (result !== SKIP) {`,
      `    result = M${i}.answer(args, result, ctx, inner);`,
      `    if (result !== SKIP) return result;`,
      `  }`,
      // The wrapper failed: the inner result stands (or the inner error, as next() would throw it).
      `  if (inner === UNCALLED) return L${i + 1}(args);`,
      `  if (inner === ${running}) throw STATE.error;`,
      `  return inner;`,
      `}`,
    );
  }
  lines.push(
    // The plain implementations: their compiled call, while these are still the hook's lists.
    `function L${n}(args) {`,
    `  const compiled = CALLER.compiled;`,
    `  let result;`,
    `  try {`,
    `    result = compiled !== undefined && IMPLS === CALLER.impls && RUNNER.monitors.length === 0`,
    `      ? compiled(RUNNER, args)`,
    `      : RUNNER.runPlain(CALLER, IMPLS, args);`,
    `  } catch (error) {`,
    `    STATE.error = error;`,
    `    throw error;`,
    `  }`,
    // A promise of the inner results is handled here, once: a wrapper may ignore it.
    `  if (${first ? "" : "!Array.isArray(result) && "}result instanceof Promise) result.catch(ignore);`,
    `  return result;`,
    `}`,
    `return function compiledChain(args) {`,
    `  if (STATE.active) return RUNNER.runLevel(new CALL(CALLER, WRAPPERS, IMPLS, args, 0), 0);`,
    `  STATE.active = true;`,
    `  STATE.args = args;`,
    `  STATE.error = NO_ERROR;`,
    `  let result;`,
    `  try {`,
    `    result = L0(args);`,
    `  } catch (error) {`,
    // Left by the exception: every level is idle again, so that a kept next() throws.
    `    for (const slot of SLOTS) slot.inner = IDLE;`,
    `    STATE.active = false;`,
    `    STATE.args = undefined;`,
    `    throw error;`,
    `  }`,
    `  STATE.active = false;`,
    `  STATE.args = undefined;`,
    `  return result;`,
    `};`,
  );
  const factory = new Function(
    "RUNNER",
    "CALLER",
    "WRAPPERS",
    "IMPLS",
    "SLOTS",
    "STATE",
    "CALL",
    "IC",
    "SKIP",
    "UNCALLED",
    "IDLE",
    "RUNNING",
    "NO_ERROR",
    "ignore",
    lines.join("\n"),
  );
  return factory(
    runner,
    caller,
    wrappers,
    impls,
    slots,
    state,
    Call,
    InvocationContext,
    SKIP,
    UNCALLED,
    IDLE,
    RUNNING,
    NO_ERROR,
    ignore,
  );
}
