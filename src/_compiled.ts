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
  // Chunks of CHUNK implementations, each its own function ending in a call to the
  // next: small functions get optimised where one huge function would not.
  const chunks: string[] = [];
  const count = Math.ceil(impls.length / CHUNK);
  for (let c = count - 1; c >= 0; c--) {
    const lines: string[] = [
      `const chunk${c} = function (runner, args, acc) {`,
      "  let result, start, ctx, r;",
    ];
    lines.push("  const mask = runner.settings.sampleMask;");
    for (let i = c * CHUNK; i < Math.min(impls.length, (c + 1) * CHUNK); i++) {
      lines.push(
        `  r = R${i};`,
        `  if (!r.state.off) {`,
        `    start = (r.ticks++ & mask) === 0 ? performance.now() : NaN;`,
        // Known when the list is compiled (its first call), so the choice is baked in.
        `    ctx = ${needsContext(impls[i]) ? "new IC(r)" : "r.sharedCtx"};`,
        `    try { result = F${i}(args, ctx); } catch (error) { runner.failed(r, args, error, start, "error", undefined); result = SKIP; }`,
        `    if (result !== SKIP && result !== undefined && result !== null) {`,
        `      if ((typeof result === "object" || typeof result === "function") && typeof result.then === "function") {`,
        `        return ASYNC(runner, IMPLS, ${first}, args, ${i}, acc, result, start, ctx);`,
        `      }`,
        `      if (start === start || r.checksResult) result = runner.ok(r, args, result, start);`,
        `      else if (r.state.consecutiveFailures !== 0) r.state.consecutiveFailures = 0;`,
        `      if (result !== SKIP && result !== undefined && result !== null) ${
          first ? "return result;" : "(acc ??= []).push(result);"
        }`,
        `    } else if (result !== SKIP && start === start) {`,
        `      runner.ok(r, args, result, start);`,
        `    } else if (result !== SKIP && r.state.consecutiveFailures !== 0) {`,
        `      r.state.consecutiveFailures = 0;`,
        `    }`,
        `  }`,
      );
    }
    lines.push(
      c === count - 1
        ? `  return ${first ? "undefined" : "acc ?? []"};`
        : `  return chunk${c + 1}(runner, args, acc);`,
      "};",
    );
    chunks.push(lines.join("\n"));
  }
  const bindings = impls.map((_, i) => `const R${i} = IMPLS[${i}], F${i} = R${i}.fn;`).join("\n");
  const body = impls.length === 0
    ? `return function compiledCall() { return ${first ? "undefined" : "[]"}; };`
    : `${
      chunks.join("\n")
    }\nreturn function compiledCall(runner, args) { return chunk0(runner, args, undefined); };`;
  const factory = new Function("IMPLS", "IC", "SKIP", "ASYNC", `"use strict";\n${bindings}\n${body}`);
  return factory(impls, InvocationContext, SKIP, continueAsync) as CompiledCall;
}

/** Implementations per generated function. */
const CHUNK = 16;
