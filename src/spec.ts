/**
 * Hook specifications: the contract between the host, which calls hooks, and the
 * plugins, which implement them. A spec names the arguments (a valibot object
 * schema), the result, the documentation and how calls behave.
 *
 * @module
 */
import * as v from "valibot";
import { HookSpecError } from "./errors.ts";

/** A valibot schema for a hook's single arguments object. */
export type ArgsSchema = v.GenericSchema<Record<string, unknown>, Record<string, unknown>>;

/** A valibot schema for what one implementation returns. */
export type ResultSchema = v.GenericSchema;

/** What {@linkcode defineHookSpec} takes. */
export interface HookSpecInit<
  A extends ArgsSchema,
  R extends ResultSchema | undefined,
  F extends boolean,
> {
  /** Schema of the single arguments object, such as `v.object({ task: TaskSchema })`. */
  args: A;
  /** Schema of one implementation's result; omit for hooks whose results are ignored. */
  result?: R;
  /** What the hook is for and when it is called; shown by `bernstein hooks`. */
  doc: string;
  /** Stop at the first implementation that returns something other than `undefined`/`null`. */
  firstResult?: F;
  /** Remember every call and replay it to plugins registered later. */
  historic?: boolean;
  /** Set to a message to mark the hook deprecated; implementing it warns once. */
  deprecated?: string;
  /** Deadline for each implementation of this hook, overriding the manager's default. */
  timeoutMs?: number;
}

/** A hook specification, made by {@linkcode defineHookSpec}. */
export interface HookSpec<
  A extends ArgsSchema = ArgsSchema,
  R extends ResultSchema | undefined = ResultSchema | undefined,
  F extends boolean = boolean,
> {
  /** Schema of the arguments object. */
  readonly args: A;
  /** Schema of one result, if results are checked. */
  readonly result: R;
  /** Documentation. */
  readonly doc: string;
  /** Whether calls stop at the first result. */
  readonly firstResult: F;
  /** Whether calls are remembered and replayed to late plugins. */
  readonly historic: boolean;
  /** Deprecation message, if deprecated. */
  readonly deprecated: string | undefined;
  /** Per-implementation deadline for this hook, if set. */
  readonly timeoutMs: number | undefined;
}

/** A set of hook specifications keyed by hook name. */
// deno-lint-ignore no-explicit-any
export type HookSpecs = { readonly [hook: string]: HookSpec<any, any, any> };

/** Makes a type read-only all the way down, as hook arguments are at run time. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown ? T
  : T extends readonly (infer E)[] ? readonly DeepReadonly<E>[]
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;

/** The arguments an implementation of `S` receives. */
export type HookArgs<S> = S extends HookSpec<infer A, infer _R, infer _F> ? DeepReadonly<v.InferOutput<A>>
  : never;

/** The arguments a caller of `S` passes. */
export type HookCallArgs<S> = S extends HookSpec<infer A, infer _R, infer _F> ? v.InferInput<A>
  : never;

/**
 * What one implementation of `S` returns. Without a result schema anything goes:
 * the call collects what implementations return, unchecked.
 */
export type HookResult<S> = S extends HookSpec<infer _A, infer R, infer _F>
  ? R extends ResultSchema ? v.InferOutput<R> : unknown
  : never;

/** What calling `S` yields: the first result, or the list of results. */
export type HookCallResult<S> = S extends HookSpec<infer _A, infer R, infer F>
  ? [F] extends [true] ? (R extends ResultSchema ? v.InferOutput<R> : unknown) | undefined
  : (R extends ResultSchema ? v.InferOutput<R> : unknown)[]
  : never;

/** The longest deadline timers support: 2^31 - 1 ms, about 24.8 days. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Whether a value is a deadline the runner can keep: a positive number of
 * milliseconds up to {@linkcode MAX_TIMEOUT_MS}. The one rule for a spec's, an
 * implementation's, a manager's and a config's `timeoutMs`.
 *
 * @example
 * ```ts
 * import { isTimeout } from "./spec.ts";
 * if (!isTimeout(250) || isTimeout(0) || isTimeout(2 ** 31)) throw new Error("wrong rule");
 * ```
 *
 * @param value Anything.
 * @returns True for a usable deadline.
 */
export function isTimeout(value: unknown): value is number {
  return typeof value === "number" && value > 0 && value <= MAX_TIMEOUT_MS;
}

/** {@linkcode isTimeout} as a valibot schema, for config files and implementation options. */
export const TimeoutSchema: v.GenericSchema<number> = v.pipe(
  v.number(),
  v.check((ms) => ms > 0, "must be a positive number of milliseconds"),
  v.maxValue(MAX_TIMEOUT_MS, `must be at most ${MAX_TIMEOUT_MS} ms (about 24.8 days)`),
);

const HOOK_NAME = /^[a-z][A-Za-z0-9]*$/;
const OBJECT_TYPES = new Set(["object", "loose_object", "strict_object", "object_with_rest"]);
// A global symbol, not a WeakSet, so that specs made by another copy of this library
// (a plugin package that bundles it) are still recognised.
const SPEC_BRAND: unique symbol = Symbol.for("bernstein.hookSpec") as never;

/**
 * Defines one hook specification.
 *
 * @param init Arguments schema, result schema, doc and options.
 * @returns The frozen spec.
 * @throws {HookSpecError} When `args` is not an object schema, `doc` is empty, the
 * timeout is not a positive number, or the hook is both `historic` and `firstResult`.
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { defineHookSpec } from "./spec.ts";
 * const selectModel = defineHookSpec({
 *   args: v.object({ role: v.string() }),
 *   result: v.string(),
 *   doc: "Picks the model for an agent role; the first answer wins.",
 *   firstResult: true,
 * });
 * ```
 */
export function defineHookSpec<
  A extends ArgsSchema,
  R extends ResultSchema | undefined = undefined,
  F extends boolean = false,
>(init: HookSpecInit<A, R, F>): HookSpec<A, R, F> {
  const problems: string[] = [];
  const args = init?.args as { kind?: string; type?: string } | undefined;
  if (!args || args.kind !== "schema" || !OBJECT_TYPES.has(args.type ?? "")) {
    problems.push("args must be a valibot object schema, such as v.object({ task: TaskSchema })");
  }
  const result = init?.result as { kind?: string } | undefined;
  if (result !== undefined && result?.kind !== "schema") {
    problems.push("result must be a valibot schema or left out");
  }
  if (typeof init?.doc !== "string" || init.doc.trim() === "") {
    problems.push("doc must be a non-empty string that says when the hook is called");
  }
  for (const flag of ["firstResult", "historic"] as const) {
    if (init?.[flag] !== undefined && typeof init[flag] !== "boolean") {
      problems.push(`${flag} must be true or false, not ${JSON.stringify(init[flag])}`);
    }
  }
  if (init?.historic && init.firstResult) {
    problems.push(
      "a hook cannot be both historic and firstResult: replayed calls have no caller to return to",
    );
  }
  if (
    init?.timeoutMs !== undefined && !isTimeout(init.timeoutMs)
  ) {
    problems.push(
      `timeoutMs must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS}, not ${
        String(init.timeoutMs)
      }`,
    );
  }
  if (init?.deprecated !== undefined && typeof init.deprecated !== "string") {
    problems.push("deprecated must be a message string");
  }
  if (problems.length > 0) {
    throw new HookSpecError(`Cannot define hook spec: ${problems.join("; ")}`);
  }
  const spec: HookSpec<A, R, F> = Object.freeze({
    args: init.args,
    result: init.result as R,
    doc: init.doc,
    firstResult: (init.firstResult ?? false) as F,
    historic: init.historic ?? false,
    deprecated: init.deprecated,
    timeoutMs: init.timeoutMs,
    [SPEC_BRAND]: true,
  });
  return spec;
}

/**
 * Checks a set of specs before it is added: names are camelCase and every value
 * was made by {@linkcode defineHookSpec}.
 *
 * @param specs The specs to check.
 * @param source Who adds them, for the error message.
 * @throws {HookSpecError} Naming every bad entry.
 */
export function assertHookSpecs(specs: unknown, source: string): asserts specs is HookSpecs {
  if (typeof specs !== "object" || specs === null) {
    throw new HookSpecError(
      `Cannot add hook specs from "${source}": expected an object of specs keyed by hook name`,
    );
  }
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    if (!HOOK_NAME.test(name)) {
      problems.push(`"${name}" is not a camelCase hook name such as "onTaskCreated"`);
    }
    if (typeof spec !== "object" || spec === null || !(spec as Record<symbol, unknown>)[SPEC_BRAND]) {
      problems.push(`"${name}" is not a hook spec; make it with defineHookSpec()`);
    }
  }
  if (problems.length > 0) {
    throw new HookSpecError(`Cannot add hook specs from "${source}": ${problems.join("; ")}`);
  }
}
