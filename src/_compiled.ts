// Precompiled call lists. For each hook's plain implementations the runner
// generates (with new Function) one function that calls them in order, unrolled,
// with the same bookkeeping as runFast. Every implementation then has a call site
// of its own, which the engine can inline; a shared loop's single call site sees
// every plugin's function and cannot. Generated lazily, again after each change of
// registration; only indices go into the source, never plugin names or code.
import { continueAsync } from "./_fastpath.ts";
import { InvocationContext, SKIP } from "./_invocation.ts";
import { type HookRunner, type ImplRecord, needsContext } from "./runner.ts";

/** A compiled call list. */
export type CompiledCall = (runner: HookRunner, args: unknown) => unknown;

/** Above this many implementations the plain loop is used. */
export const MAX_COMPILED = 512;

/**
 * Generates the call function for `impls`.
 *
 * @param impls Plain implementations in call order.
 * @param first Whether the hook stops at the first result.
 * @returns The function, to be called with the runner and the frozen arguments.
 */
export function compileCall(impls: ImplRecord[], firstResult: boolean): CompiledCall {
  // Only the literal true or false goes into the source, whatever the spec held.
  const first = firstResult === true;
  // Two variants: the timed one (sampled calls, see _sampling.ts) reads the clock
  // around every implementation; the untimed one never does.
  const chunks = [...chunksOf(impls, first, "t", true), ...chunksOf(impls, first, "u", false)];
  const bindings = impls.map((_, i) => `const R${i} = IMPLS[${i}], S${i} = R${i}.state, F${i} = R${i}.fn;`)
    .join("\n");
  const contexts = impls.map((record, i) =>
    // Known when the list is compiled (its first call), so the choice is baked in.
    needsContext(record) ? "" : `const C${i} = R${i}.sharedCtx;`
  ).join("\n");
  const body = impls.length === 0
    ? `return function compiledCall() { return ${first ? "undefined" : "[]"}; };`
    : `${chunks.join("\n")}
return function compiledCall(runner, args) {
  if (--COUNTDOWN.until > 0) return u0(runner, args, undefined, 0);
  // The calls this timed one stands for (see Countdown).
  const W = COUNTDOWN.planned - COUNTDOWN.until;
  const start = performance.now();
  let result;
  try {
    result = t0(runner, args, undefined, W);
  } catch (error) {
    COUNTDOWN.after(start, undefined, ${impls.length}, runner.settings.sampleMask === 0);
    throw error;
  }
  return COUNTDOWN.after(start, result, ${impls.length}, runner.settings.sampleMask === 0);
};`;
  const factory = new Function(
    "IMPLS",
    "COUNTDOWN",
    "IC",
    "SKIP",
    "ASYNC",
    `"use strict";\n${bindings}\n${contexts}\n${body}`,
  );
  return factory(impls, impls[0]?.caller.plain, InvocationContext, SKIP, continueAsync) as CompiledCall;
}

/**
 * The chunk functions of one variant: CHUNK implementations each, each chunk ending
 * in a call to the next. Small functions get optimised where one huge one would not.
 */
function chunksOf(impls: ImplRecord[], first: boolean, prefix: string, timed: boolean): string[] {
  const chunks: string[] = [];
  const count = Math.ceil(impls.length / CHUNK);
  const start = timed ? "start" : "NaN";
  for (let c = 0; c < count; c++) {
    const lines: string[] = [
      `const ${prefix}${c} = function (runner, args, acc, W) {`,
      `  let result${timed ? ", start" : ""};`,
    ];
    for (let i = c * CHUNK; i < Math.min(impls.length, (c + 1) * CHUNK); i++) {
      const ctx = needsContext(impls[i]) ? `ctx${i}` : `C${i}`;
      lines.push(
        `  if (!S${i}.off) {`,
        `    R${i}.ticks++;`,
        ...(needsContext(impls[i]) ? [`    const ctx${i} = new IC(R${i});`] : []),
        ...(timed ? ["    start = performance.now();"] : []),
        `    try { result = F${i}(args, ${ctx}); } catch (error) { result = runner.failed(R${i}, args, error, ${start}, "error", undefined, W); }`,
        // The common case, an implementation that returns nothing, costs one comparison more.
        `    if (result === undefined${timed ? " && false" : ""}) {`,
        `      if (S${i}.consecutiveFailures !== 0) S${i}.consecutiveFailures = 0;`,
        `    } else if (result !== SKIP) {`,
        `      if (result !== null && (typeof result === "object" || typeof result === "function") && typeof result.then === "function") {`,
        `        return ASYNC(runner, IMPLS, ${first}, args, ${i}, acc, result, ${start}, ${ctx}, W);`,
        `      }`,
        `      result = runner.ok(R${i}, args, result, ${start}, W);`,
        `      if (result !== SKIP && result !== undefined && result !== null) ${
          first ? "return result;" : "(acc ??= []).push(result);"
        }`,
        `    }`,
        `  }`,
      );
    }
    lines.push(
      c === count - 1
        ? `  return ${first ? "undefined" : "acc ?? []"};`
        : `  return ${prefix}${c + 1}(runner, args, acc, W);`,
      "};",
    );
    chunks.push(lines.join("\n"));
  }
  return chunks;
}

/** Implementations per generated function. */
const CHUNK = 16;
