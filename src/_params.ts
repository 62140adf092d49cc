// Whether an implementation may receive a shared context instead of a fresh one.

/**
 * True when `fn` certainly cannot read its `ctx` argument: it declares fewer than
 * `position + 1` parameters, has no rest or default parameter, and does not use
 * `arguments`. Anything unclear (native or bound functions) answers false, so that
 * the implementation gets a fresh context per invocation.
 */
export function ignoresArgument(fn: (...args: never[]) => unknown, position: number): boolean {
  if (fn.length > position) return false;
  const source = Function.prototype.toString.call(fn);
  if (source.includes("[native code]") || /\barguments\b/.test(source)) return false;
  const params = parameterText(source);
  return params !== undefined && !params.includes("...") && !params.includes("=");
}

/** The text of the parameter list, or undefined when it cannot be found. */
function parameterText(source: string): string | undefined {
  const arrow = /^\s*(?:async\s+)?([\w$]+)\s*=>/.exec(source);
  if (arrow) return arrow[1];
  const open = source.indexOf("(");
  if (open < 0) return undefined;
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return source.slice(open + 1, i);
  }
  return undefined;
}
