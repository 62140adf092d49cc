// Generated call lists: the one loop over plain implementations. For each hook's
// plain implementations (and for a historic replay's single one) this generates,
// with new Function, functions that call them in order, unrolled: every
// implementation gets a call site of its own, which the engine can inline; a shared
// loop's single call site sees every plugin's function and cannot. Three variants
// come from one description: untimed (no clock read), timed (a clock read before
// each implementation, for sampled calls) and monitored (timed, and monitors told
// of each start). Each variant has three forms, every invocation in them written by
// one function, invocation(): straight-line chunks of 16 implementations for a call
// from the start (small functions get optimised where one huge one would not; a
// guard or a switch to enter them at any index cost 3x at 100 implementations on
// Node); a loop for a call that goes on from a later index, after a timeout; and an
// async function that awaits a pending implementation and calls the following ones
// itself (an implementation called and awaited in the same async function costs less
// than one called elsewhere, on both runtimes). Only indices go into the source,
// never plugin names or code.
import { InvocationContext, PENDING, SKIP } from "./_invocation.ts";
import type { Countdown } from "./stats.ts";

/** What the generated code reads of an implementation record. */
export interface CompiledRecord {
  /** Its plugin: off when suspended or removed; the breaker's count. */
  readonly state: { readonly off: boolean; consecutiveFailures: number };
  /** The implementation. */
  // deno-lint-ignore no-explicit-any
  readonly fn: (...args: any[]) => unknown;
  /** The context of invocations that do not read it. */
  readonly sharedCtx: unknown;
  /** Invocations so far. */
  ticks: number;
}

/** The checks a record's settled outcome needs beyond CompiledRecord. */
interface AwaitedRecord extends CompiledRecord {
  /** Whether its results are checked against a schema. */
  readonly checksResult: boolean;
}

/**
 * The call under way, as the generated code reads and updates it (the runner's
 * Run); it passes itself to `out.record` as the invocation `I`.
 */
export interface StepRun<R, I = unknown> {
  /** The frozen arguments. */
  readonly args: unknown;
  /** Records each outcome other than a plain undefined; returns the result, or SKIP. */
  readonly out: { record(record: R, run: I, value: unknown, kind: "ok" | "error"): unknown };
  /** Told of each start in the monitored variant; returns the monitors it told. */
  readonly monitors: { before(record: R, args: unknown): unknown };
  /** The monitors told of the current implementation's start (monitored variant). */
  seen: unknown;
  /** When the current implementation started and ended (timed variants). */
  start: number;
  end: number;
  /** The results so far (list hooks). */
  acc: unknown[] | undefined;
  /** The implementation being called or awaited. */
  index: number;
  /** What it returned, when PENDING is returned. */
  pending: PromiseLike<unknown> | undefined;
  /** The context it was given. */
  ctx: unknown;
  /** Set when the awaited implementation's deadline passed and another run carries the call on. */
  readonly dead: boolean;
  /** Watches the awaited implementation's deadline. */
  watch(): void;
  /** The awaited implementation settled after its deadline. */
  late(kind: "ok" | "error"): void;
  /** Settles the call with its result. */
  finish(result: unknown): void;
  /** Settles the call with an exception that escaped it (strict mode, a logger that threw). */
  fail(error: unknown): void;
}

/** One variant of a call list. */
export interface Variant<R> {
  /** Runs the implementations from an index synchronously: the call's result, or PENDING. */
  // deno-lint-ignore no-explicit-any
  run(run: StepRun<R, any>, from: number): unknown;
  /** Awaits the pending implementation, then runs on from the next, until the call settles. */
  // deno-lint-ignore no-explicit-any
  drive(run: StepRun<R, any>, pending: PromiseLike<unknown>): Promise<void>;
}

/** A generated call list. */
export interface PlainList<R> {
  /** The implementations, in call order. */
  readonly impls: readonly R[];
  /** Whether the hook stops at the first result. */
  readonly first: boolean;
  /** When the next call of this list is timed. */
  readonly countdown: Countdown;
  /** No clock read. */
  readonly untimed: Variant<R>;
  /** A clock read before each implementation. */
  readonly timed: Variant<R>;
  /** Timed, and monitors told of each start. */
  readonly monitored: Variant<R>;
  /** The runner's state of a call that ended synchronously, which the next call may reuse. */
  spare: unknown;
}

/** How to generate a list. */
export interface CompileOptions<R> {
  /** Whether the hook stops at the first result. */
  readonly first: boolean;
  /** The hook's countdown of timed calls. */
  readonly countdown: Countdown;
  /** Whether an implementation gets a fresh context per invocation (fixed when generated). */
  readonly needsContext: (record: R) => boolean;
}

/** Implementations per generated function. */
const CHUNK = 16;

/**
 * Generates the call list of `impls`.
 *
 * @example
 * ```ts
 * import { compilePlain } from "./_compiled.ts";
 * import { Countdown } from "./stats.ts";
 * const record = { state: { off: false, consecutiveFailures: 0 }, fn: () => 1, sharedCtx: {}, ticks: 0, checksResult: false };
 * const list = compilePlain([record], { first: true, countdown: new Countdown(false), needsContext: () => false });
 * const run = { args: {}, out: { record: (_r: unknown, _run: unknown, value: unknown) => value } };
 * if (list.untimed.run(run as never, 0) !== 1 || record.ticks !== 1) throw new Error("not called");
 * ```
 *
 * @param impls Plain implementations in call order.
 * @param options The hook's first-result flag and countdown, and the context rule.
 * @returns The list, with its three variants.
 */
export function compilePlain<R extends AwaitedRecord>(
  impls: readonly R[],
  options: CompileOptions<R>,
): PlainList<R> {
  // Only the literal true or false goes into the source, whatever the spec held.
  const first = options.first === true;
  const fresh = impls.map((record) => options.needsContext(record));
  const bindings = impls.map((_, i) =>
    `const R${i} = IMPLS[${i}], S${i} = R${i}.state, F${i} = R${i}.fn${
      fresh[i] ? "" : `, C${i} = R${i}.sharedCtx`
    };`
  );
  const variants = [
    ...variant(impls.length, { first, fresh, prefix: "u", timed: false, monitored: false }),
    ...variant(impls.length, { first, fresh, prefix: "t", timed: true, monitored: false }),
    ...variant(impls.length, { first, fresh, prefix: "m", timed: true, monitored: true }),
  ];
  const factory = new Function(
    "IMPLS",
    "FRESH",
    "IC",
    "SKIP",
    "PENDING",
    `"use strict";\n${bindings.join("\n")}\n${variants.join("\n")}
return [{ run: u, drive: ua }, { run: t, drive: ta }, { run: m, drive: ma }];`,
  );
  const [untimed, timed, monitored] = factory(impls, fresh, InvocationContext, SKIP, PENDING) as Variant<R>[];
  return { impls, first, countdown: options.countdown, untimed, timed, monitored, spare: undefined };
}

/** What tells one variant's code from another's. */
interface Shape {
  readonly first: boolean;
  readonly fresh: readonly boolean[];
  readonly prefix: string;
  readonly timed: boolean;
  readonly monitored: boolean;
}

/** One variant's source: its loop, its async function and its straight chunks (see the top). */
function variant(length: number, v: Shape): string[] {
  const count = Math.ceil(length / CHUNK);
  const end = v.first ? "undefined" : "run.acc ?? []";
  const p = v.prefix;
  const found = v.first ? "return result;" : "(run.acc ??= []).push(result);";
  const source = [
    `function ${p}(run, from) {`,
    ...(count === 0 ? [] : [`  if (from === 0) return ${p}0(run);`]),
    `  const args = run.args;`,
    `  let result, pending;`,
    `  for (let i = from; i < ${length}; i++) {`,
    `    const R = IMPLS[i], S = R.state;`,
    ...invocation(inLoop(`run.index = i; run.pending = result; run.ctx = ctx; return PENDING;`, found), v),
    `  }`,
    `  return ${end};`,
    `}`,
    ...awaiting(length, v),
  ];
  for (let c = 0; c < count; c++) {
    source.push(`function ${p}${c}(run) {`, `  const args = run.args;`, `  let result, pending;`);
    for (let i = c * CHUNK; i < Math.min(length, (c + 1) * CHUNK); i++) {
      const ctx = v.fresh[i] ? `ctx${i}` : `C${i}`;
      source.push(...invocation({
        R: `R${i}`,
        S: `S${i}`,
        F: `F${i}`,
        ctx: v.fresh[i] ? [`const ctx${i} = new IC(R${i});`] : [],
        ctxName: ctx,
        pending: `run.index = ${i}; run.pending = result; run.ctx = ${ctx}; return PENDING;`,
        found,
      }, v));
    }
    source.push(c === count - 1 ? `  return ${end};` : `  return ${p}${c + 1}(run);`, `}`);
  }
  return source;
}

/** The async function of a variant: awaits `thenable` (at run.index), then calls on from the next index. */
function awaiting(length: number, v: Shape): string[] {
  const end = v.first ? "undefined" : "run.acc ?? []";
  const found = v.first ? "return run.finish(result);" : "(run.acc ??= []).push(result);";
  const record = [
    `        result = run.out.record(R, run, result, kind);`,
    `        if (result !== SKIP && result !== undefined && result !== null) ${found}`,
  ];
  return [
    `async function ${v.prefix}a(run, thenable) {`,
    `  const args = run.args;`,
    `  let result, kind, pending;`,
    `  try {`,
    `    for (;;) {`,
    `      run.watch();`,
    `      kind = "ok";`,
    `      try { result = await thenable; } catch (error) { result = error; kind = "error"; }`,
    ...(v.timed ? [`      run.end = performance.now();`] : []),
    `      if (run.dead) return run.late(kind);`,
    `      {`,
    `      const R = IMPLS[run.index];`,
    // As in invocation(): an untimed undefined needs nothing but the breaker's reset.
    ...(v.timed ? record : [
      `      if (result === undefined && kind === "ok" && !R.checksResult) {`,
      `        if (R.state.consecutiveFailures !== 0) R.state.consecutiveFailures = 0;`,
      `      } else {`,
      ...record,
      `      }`,
    ]),
    `      }`,
    `      for (;;) {`,
    `        const i = ++run.index;`,
    `        if (i >= ${length}) return run.finish(${end});`,
    `        const R = IMPLS[i], S = R.state;`,
    ...invocation(inLoop(`run.ctx = ctx; thenable = result; break;`, found), v),
    `      }`,
    `    }`,
    `  } catch (error) {`,
    `    run.fail(error);`,
    `  }`,
    `}`,
  ];
}

/** Where an invocation's code reads its implementation, and what it does with a thenable or a result. */
interface Site {
  readonly R: string;
  readonly S: string;
  readonly F: string;
  readonly ctx: readonly string[];
  readonly ctxName: string;
  readonly pending: string;
  readonly found: string;
}

/** An invocation in a loop, reading its record from `R` at index `i`. */
function inLoop(pending: string, found: string): Site {
  return {
    R: "R",
    S: "S",
    F: "F",
    ctx: ["const F = R.fn;", "const ctx = FRESH[i] ? new IC(R) : R.sharedCtx;"],
    ctxName: "ctx",
    pending,
    found,
  };
}

/** The source of one invocation. */
function invocation(site: Site, v: Shape): string[] {
  const { R, S, F } = site;
  // The common case, an implementation that returns nothing, needs no accounting when
  // untimed: its breaker count is reset here. A timed one's duration is counted.
  const nothing = v.timed ? [`    else if (result !== SKIP) {`] : [
    `    else if (result === undefined) {`,
    `      if (${S}.consecutiveFailures !== 0) ${S}.consecutiveFailures = 0;`,
    `    } else if (result !== SKIP) {`,
  ];
  return [
    `    if (!${S}.off) {`,
    `    ${R}.ticks++;`,
    ...site.ctx.map((line) => `    ${line}`),
    ...(v.monitored ? [`    run.seen = run.monitors.before(${R}, args);`] : []),
    ...(v.timed ? [`    run.start = performance.now();`] : []),
    // The thenable test is inside the try: a result whose then getter throws (or a
    // revoked proxy) has failed like a throw, and costs that plugin only.
    `    try {`,
    `      result = ${F}(args, ${site.ctxName});`,
    ...(v.timed ? [`      run.end = performance.now();`] : []),
    `      pending = result !== undefined && result !== null && (typeof result === "object" || typeof result === "function") && typeof result.then === "function";`,
    `    } catch (error) {`,
    ...(v.timed ? [`      run.end = performance.now();`] : []),
    `      pending = false;`,
    `      result = run.out.record(${R}, run, error, "error");`,
    `    }`,
    `    if (pending) {`,
    `      ${site.pending}`,
    `    }`,
    ...nothing,
    `      result = run.out.record(${R}, run, result, "ok");`,
    `      if (result !== SKIP && result !== undefined && result !== null) ${site.found}`,
    `    }`,
    `    }`,
  ];
}
