// Generated call lists: the one loop over plain implementations. For each hook's
// plain implementations (and for a historic replay's single one) this generates,
// with new Function, functions that call them in order, unrolled: every
// implementation gets a call site of its own, which the engine can inline; a shared
// loop's single call site sees every plugin's function and cannot. Three variants
// come from one description: untimed (no clock read), timed (a clock read before
// each implementation, for sampled calls) and monitored (timed, and monitors told
// of each start). A call runs a variant from index 0; when an implementation
// returns a thenable the variant stops with PENDING, and the call loop awaits it and
// runs the same variant again from the next index, so synchronous and asynchronous
// calls share this code. Functions hold 16 implementations each (small functions get
// optimised where one huge one would not), entered through a switch that falls
// through from any index. Only indices go into the source, never plugin names or code.
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

/**
 * The call under way, as the generated code reads and updates it (the runner's
 * Run); it passes itself to `out.record` as the invocation `I`.
 */
export interface StepRun<R, I = unknown> {
  /** The frozen arguments. */
  readonly args: unknown;
  /** Records each outcome other than a plain undefined; returns the result, or SKIP. */
  readonly out: { record(record: R, run: I, value: unknown, kind: "ok" | "error"): unknown };
  /** Told of each start in the monitored variant. */
  readonly monitors: { before(record: R, args: unknown): void };
  /** When the current implementation started (timed variants). */
  start: number;
  /** The results so far (list hooks). */
  acc: unknown[] | undefined;
  /** The implementation that is pending, when PENDING is returned. */
  index: number;
  /** What it returned. */
  pending: PromiseLike<unknown> | undefined;
  /** The context it was given. */
  ctx: unknown;
}

/** Runs a list's implementations from an index: the call's result, or PENDING. */
// deno-lint-ignore no-explicit-any
export type Step<R> = (run: StepRun<R, any>, from: number) => unknown;

/** A generated call list. */
export interface PlainList<R> {
  /** The implementations, in call order. */
  readonly impls: readonly R[];
  /** Whether the hook stops at the first result. */
  readonly first: boolean;
  /** When the next call of this list is timed. */
  readonly countdown: Countdown;
  /** No clock read. */
  readonly untimed: Step<R>;
  /** A clock read before each implementation. */
  readonly timed: Step<R>;
  /** Timed, and monitors told of each start. */
  readonly monitored: Step<R>;
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
 * @param impls Plain implementations in call order.
 * @param options The hook's first-result flag and countdown, and the context rule.
 * @returns The list, with its three variants.
 */
export function compilePlain<R extends CompiledRecord>(
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
    "IC",
    "SKIP",
    "PENDING",
    `"use strict";\n${bindings.join("\n")}\n${variants.join("\n")}\nreturn [u, t, m];`,
  );
  const [untimed, timed, monitored] = factory(impls, InvocationContext, SKIP, PENDING) as Step<R>[];
  return { impls, first, countdown: options.countdown, untimed, timed, monitored };
}

interface Variant {
  readonly first: boolean;
  readonly fresh: readonly boolean[];
  readonly prefix: string;
  readonly timed: boolean;
  readonly monitored: boolean;
}

/** One variant's source: its entry function and its chunk functions. */
function variant(length: number, v: Variant): string[] {
  const count = Math.ceil(length / CHUNK);
  const end = v.first ? "undefined" : "run.acc ?? []";
  const entries = Array.from(
    { length: count },
    (_, c) => `    case ${c}: return ${v.prefix}${c}(run, from);`,
  );
  const source = [
    `function ${v.prefix}(run, from) {`,
    `  switch (from >> 4) {`,
    ...entries,
    `  }`,
    `  return ${end};`,
    `}`,
  ];
  for (let c = 0; c < count; c++) {
    source.push(
      `function ${v.prefix}${c}(run, from) {`,
      `  const args = run.args;`,
      `  let result;`,
      `  switch (from) {`,
    );
    for (let i = c * CHUNK; i < Math.min(length, (c + 1) * CHUNK); i++) source.push(...invocation(i, v));
    source.push(
      `  }`,
      c === count - 1 ? `  return ${end};` : `  return ${v.prefix}${c + 1}(run, ${(c + 1) * CHUNK});`,
      `}`,
    );
  }
  return source;
}

/** The source of implementation `i`'s invocation. */
function invocation(i: number, v: Variant): string[] {
  const ctx = v.fresh[i] ? `ctx${i}` : `C${i}`;
  // The common case, an implementation that returns nothing, needs no accounting when
  // untimed: its breaker count is reset here. A timed one's duration is counted.
  const nothing = v.timed ? `    if (result !== SKIP) {` : `    if (result === undefined) {
      if (S${i}.consecutiveFailures !== 0) S${i}.consecutiveFailures = 0;
    } else if (result !== SKIP) {`;
  return [
    `  case ${i}:`,
    `    if (!S${i}.off) {`,
    `    R${i}.ticks++;`,
    ...(v.fresh[i] ? [`    const ctx${i} = new IC(R${i});`] : []),
    ...(v.monitored ? [`    run.monitors.before(R${i}, args);`] : []),
    ...(v.timed ? [`    run.start = performance.now();`] : []),
    `    try { result = F${i}(args, ${ctx}); } catch (error) { result = run.out.record(R${i}, run, error, "error"); }`,
    nothing,
    `      if (result !== null && (typeof result === "object" || typeof result === "function") && typeof result.then === "function") {`,
    `        run.index = ${i}; run.pending = result; run.ctx = ${ctx};`,
    `        return PENDING;`,
    `      }`,
    `      result = run.out.record(R${i}, run, result, "ok");`,
    `      if (result !== SKIP && result !== undefined && result !== null) ${
      v.first ? "return result;" : "(run.acc ??= []).push(result);"
    }`,
    `    }`,
    `    }`,
  ];
}
