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
//   general path's clock and events).
// A next() called after its wrapper returned throws, as it does on the general path.
import { BernsteinError } from "./errors.ts";
import { InvocationContext, SKIP } from "./_invocation.ts";
import type { HookContext } from "./plugin.ts";
import { Call, Frame, type HookCaller, type HookRunner, type ImplRecord, needsContext } from "./runner.ts";

/** A compiled chain: runs one untimed call through the wrappers. */
export type CompiledChain = (args: unknown) => unknown;

/** Above this many wrappers the general path is used. */
const MAX_LEVELS = 64;

/** A slot's `inner` while its wrapper runs and has not called next(). */
const UNCALLED: unique symbol = Symbol("uncalled");
/** A slot's `inner` while its wrapper is not running. */
const IDLE: unique symbol = Symbol("idle");

/** Wrappers seen returning a thenable: their hooks are never compiled again. */
const pendingWrappers = new WeakSet<ImplRecord>();

const AsyncFunction = (async () => {}).constructor;

/** What one call through a compiled chain shares between levels. */
interface ChainState {
  /** A call is running through the chain (a nested one takes the general path). */
  active: boolean;
  /** Its arguments. */
  args: unknown;
}

/** One wrapper level of a compiled chain: the state of the call running through it. */
class Slot {
  /** UNCALLED, IDLE, or what next() returned. */
  inner: unknown = IDLE;
  /** The frame of the invocation that went on asynchronously: its wrapper's later next() calls. */
  private detached: Frame | undefined = undefined;
  private readonly runner: HookRunner;
  private readonly caller: HookCaller;
  private readonly record: ImplRecord;
  private readonly wrappers: ImplRecord[];
  private readonly impls: ImplRecord[];
  private readonly depth: number;

  constructor(
    runner: HookRunner,
    caller: HookCaller,
    wrappers: ImplRecord[],
    impls: ImplRecord[],
    depth: number,
  ) {
    this.runner = runner;
    this.caller = caller;
    this.record = wrappers[depth];
    this.wrappers = wrappers;
    this.impls = impls;
    this.depth = depth;
  }

  /**
   * The wrapper returned a thenable: the invocation goes on on the general path,
   * with a frame that holds what next() returned, if it was called (a promise
   * there stops the wrapper's deadline clock until it settles), and the hook's
   * calls stop using the chain: a later call could not tell its next() from this one's.
   */
  detach(args: unknown, pending: PromiseLike<unknown>, ctx: HookContext, inner: unknown): Promise<unknown> {
    pendingWrappers.add(this.record);
    this.caller.chain = null;
    const frame = new Frame(
      this.runner,
      new Call(this.caller, this.wrappers, this.impls, args, 0),
      this.depth + 1,
    );
    if (inner !== UNCALLED) frame.keep(inner, 0);
    this.detached = frame;
    return this.runner.afterWrapper(
      this.runner.settle(this.record, args, pending, NaN, ctx, frame, 0),
      frame,
    );
  }

  /** next() called while the wrapper is not running. */
  late(): unknown {
    if (this.detached !== undefined) return this.detached.next();
    throw new BernsteinError("next() was called after the wrapper's call had ended; it does nothing now");
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
  const state: ChainState = { active: false, args: undefined };
  const slots = wrappers.map((_, depth) => new Slot(runner, caller, wrappers, impls, depth));
  const n = wrappers.length;
  const lines: string[] = [`"use strict";`];
  for (let i = 0; i < n; i++) {
    const fresh = needsContext(wrappers[i]);
    lines.push(
      `const W${i} = WRAPPERS[${i}], S${i} = W${i}.state, F${i} = W${i}.fn, M${i} = SLOTS[${i}];`,
      ...(fresh ? [] : [`const C${i} = W${i}.sharedCtx;`]),
      `function N${i}() {`,
      `  const inner = M${i}.inner;`,
      `  if (inner !== UNCALLED) return inner === IDLE ? M${i}.late() : inner;`,
      `  M${i}.inner = undefined;`,
      `  return M${i}.inner = L${i + 1}(STATE.args);`,
      `}`,
      `function L${i}(args) {`,
      `  if (S${i}.off) return L${i + 1}(args);`,
      `  W${i}.ticks++;`,
      `  const ctx = ${fresh ? `new IC(W${i})` : `C${i}`};`,
      `  M${i}.inner = UNCALLED;`,
      `  let result;`,
      `  try { result = F${i}(args, N${i}, ctx); } catch (error) { result = RUNNER.failed(W${i}, args, error, NaN, "error", undefined, 0); }`,
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
      `    if (result !== null && (typeof result === "object" || typeof result === "function") && typeof result.then === "function") {`,
      `      return M${i}.detach(args, result, ctx, inner);`,
      `    }`,
      `    result = RUNNER.succeeded(W${i}, args, result, NaN, undefined, 0);`,
      `    if (result !== SKIP) return result;`,
      `  }`,
      // The wrapper failed: the inner result stands.
      `  return inner !== UNCALLED ? inner : L${i + 1}(args);`,
      `}`,
    );
  }
  lines.push(
    // The plain implementations: their compiled call, while these are still the hook's lists.
    `function L${n}(args) {`,
    `  const compiled = CALLER.compiled;`,
    `  return compiled !== undefined && IMPLS === CALLER.impls ? compiled(RUNNER, args) : RUNNER.runPlain(CALLER, IMPLS, args);`,
    `}`,
    `return function compiledChain(args) {`,
    `  if (STATE.active) return RUNNER.runLevel(new CALL(CALLER, WRAPPERS, IMPLS, args, 0), 0);`,
    `  STATE.active = true;`,
    `  STATE.args = args;`,
    `  try {`,
    `    return L0(args);`,
    `  } finally {`,
    `    STATE.active = false;`,
    `    STATE.args = undefined;`,
    `  }`,
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
  );
}
