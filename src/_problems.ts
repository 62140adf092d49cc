/**
 * Valibot issues as {@linkcode Problem}s: the one translation that config
 * validation, plugin options and hook arguments share. A leaf: it imports only
 * valibot and the `Problem` type.
 *
 * @module
 */
import * as v from "valibot";
import type { Problem } from "./errors.ts";

/** How {@linkcode issueToProblem} writes a problem. */
export interface IssueOptions {
  /**
   * Array indexes as a config reads them (`plugins[2].use`) instead of dotted keys
   * (`plugins.2.use`, valibot's dot path).
   */
  readonly brackets?: boolean;
  /**
   * The closest known key for an unknown one, for a "did you mean" hint.
   *
   * @param key The unknown key.
   * @param parent The path of the object it sits in (`""` at the top).
   * @returns The suggestion, or undefined for none.
   */
  readonly suggest?: (key: string, parent: string) => string | undefined;
}

/**
 * Turns a valibot issue into a {@linkcode Problem}, with its path: an unknown key
 * and a missing required one are named as such, anything else keeps valibot's message.
 *
 * @param issue A valibot issue.
 * @param prefix Path to put before the issue's own path.
 * @param options Path style and suggestions.
 * @returns The problem.
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { issueToProblem } from "./_problems.ts";
 * const result = v.safeParse(v.strictObject({ a: v.number() }), { a: 1, b: 2 });
 * if (!result.success) console.log(issueToProblem(result.issues[0], "options"));
 * // { path: "options.b", message: 'unknown key "b"' }
 * ```
 */
export function issueToProblem(
  issue: v.BaseIssue<unknown>,
  prefix = "",
  options: IssueOptions = {},
): Problem {
  const path = issuePath(issue, prefix, options.brackets === true);
  if (issue.type.endsWith("object") && issue.kind === "schema") {
    if (issue.expected === "never") {
      const key = String(issue.path?.at(-1)?.key ?? "");
      const parent = path.slice(0, Math.max(0, path.length - key.length - 1));
      const suggestion = options.suggest?.(key, parent);
      return {
        path,
        message: `unknown key ${issue.received}${suggestion ? `; did you mean "${suggestion}"?` : ""}`,
      };
    }
    if (issue.received === "undefined" && issue.input === undefined) {
      return { path, message: "is required but missing" };
    }
  }
  return { path, message: issue.message };
}

function issuePath(issue: v.BaseIssue<unknown>, prefix: string, brackets: boolean): string {
  if (!brackets) return [prefix, v.getDotPath(issue)].filter(Boolean).join(".");
  let path = prefix;
  for (const item of issue.path ?? []) {
    const key = item.key as PropertyKey;
    path += typeof key === "number" ? `[${key}]` : `${path ? "." : ""}${String(key)}`;
  }
  return path;
}
