/**
 * The checks of a plugin object's shape and of each implementation's form, which
 * a manager runs before it looks at hook names, and of a factory's definition.
 *
 * @module
 */
import * as v from "valibot";
import type { Problem } from "./errors.ts";
import { isTimeout, TimeoutSchema } from "./spec.ts";
import { issueToProblem } from "./_problems.ts";
import { describe } from "./_text.ts";

const ImplOptionsSchema = v.strictObject({
  handler: v.optional(v.function("must be a function")),
  wrapper: v.optional(v.function("must be a function")),
  tryFirst: v.optional(v.boolean()),
  tryLast: v.optional(v.boolean()),
  timeoutMs: v.optional(TimeoutSchema),
  optional: v.optional(v.boolean()),
});

const IMPL_KEYS = Object.keys(ImplOptionsSchema.entries).join(", ");

const PluginShapeSchema = v.object({
  name: v.pipe(v.string("must be a string"), v.nonEmpty("must not be empty")),
  version: v.optional(v.string()),
  hooks: v.record(v.string(), v.unknown(), "must be an object of implementations keyed by hook name"),
  specs: v.optional(v.record(v.string(), v.unknown())),
  shutdown: v.optional(v.function("must be a function")),
});

/**
 * Checks a plugin object's shape and each implementation's form, without looking
 * at hook names (the manager does that against its specs).
 *
 * @example
 * ```ts
 * import { checkPluginShape } from "./plugin-shape.ts";
 * const problems = checkPluginShape({ name: "p", hooks: { onTaskCreated: { handler() {}, tryFirst: "yes" } } });
 * if (problems[0]?.path !== "hooks.onTaskCreated.tryFirst") throw new Error("not found");
 * ```
 *
 * @param plugin Anything claimed to be a plugin.
 * @returns Every problem found; empty when the shape is right.
 */
export function checkPluginShape(plugin: unknown): Problem[] {
  // Most plugins are well formed: a quick check first; valibot explains the rest.
  if (isWellFormed(plugin)) return [];
  if (typeof plugin !== "object" || plugin === null) {
    return [{
      path: "",
      message: `expected a plugin object with "name" and "hooks", received ${describe(plugin)}`,
    }];
  }
  const problems: Problem[] = [];
  const shape = v.safeParse(PluginShapeSchema, plugin);
  if (!shape.success) problems.push(...shape.issues.map((issue) => issueToProblem(issue)));
  const hooks = (plugin as { hooks?: unknown }).hooks;
  if (hooks === undefined) {
    const stray = Object.keys(plugin).filter((key) => /^on[A-Z]/.test(key));
    if (stray.length > 0) {
      problems.push({
        path: stray[0],
        message: `hook implementations belong under "hooks": { hooks: { ${stray[0]}() {} } }`,
      });
    }
  }
  if (typeof hooks === "object" && hooks !== null) {
    for (const [hook, impl] of Object.entries(hooks)) {
      problems.push(...checkImplShape(impl, `hooks.${hook}`));
    }
  }
  return problems;
}

const IMPL_OPTION_TYPES: Record<string, string> = {
  handler: "function",
  wrapper: "function",
  tryFirst: "boolean",
  tryLast: "boolean",
  timeoutMs: "number",
  optional: "boolean",
};

/** True for a plugin that certainly passes every shape check (no false positives). */
function isWellFormed(plugin: unknown): boolean {
  if (typeof plugin !== "object" || plugin === null) return false;
  const { name, version, hooks, specs, shutdown } = plugin as Record<string, unknown>;
  if (typeof name !== "string" || name === "") return false;
  if (version !== undefined && typeof version !== "string") return false;
  if (specs !== undefined && (typeof specs !== "object" || specs === null)) return false;
  if (shutdown !== undefined && typeof shutdown !== "function") return false;
  if (typeof hooks !== "object" || hooks === null || Array.isArray(hooks)) return false;
  for (const impl of Object.values(hooks)) {
    if (typeof impl === "function") continue;
    if (typeof impl !== "object" || impl === null) return false;
    const options = impl as Record<string, unknown>;
    if ((options.handler === undefined) === (options.wrapper === undefined)) return false;
    if (options.tryFirst === true && options.tryLast === true) return false;
    for (const [key, value] of Object.entries(options)) {
      if (value === undefined) continue;
      const type = typeof value;
      if (IMPL_OPTION_TYPES[key] !== type) return false;
    }
    const timeout = options.timeoutMs as number | undefined;
    if (timeout !== undefined && !isTimeout(timeout)) return false;
  }
  return true;
}

function checkImplShape(impl: unknown, path: string): Problem[] {
  if (typeof impl === "function") return [];
  if (typeof impl !== "object" || impl === null) {
    return [{
      path,
      message: `expected a function, { handler, ...options } or { wrapper, ...options }, received ${
        describe(impl)
      }`,
    }];
  }
  const result = v.safeParse(ImplOptionsSchema, impl);
  const problems = result.success ? [] : result.issues.map((issue) => {
    const problem = issueToProblem(issue, path);
    return problem.message.startsWith("unknown key")
      ? { ...problem, message: `${problem.message}; the options are ${IMPL_KEYS}` }
      : problem;
  });
  const options = impl as { handler?: unknown; wrapper?: unknown; tryFirst?: unknown; tryLast?: unknown };
  if (options.handler === undefined && options.wrapper === undefined) {
    problems.push({
      path,
      message: "give the function as handler (plain implementation) or wrapper (wrapper)",
    });
  } else if (options.handler !== undefined && options.wrapper !== undefined) {
    problems.push({ path, message: "give either handler or wrapper, not both" });
  }
  if (options.tryFirst && options.tryLast) {
    problems.push({ path, message: "tryFirst and tryLast cannot both be set" });
  }
  return problems;
}

/**
 * Checks what definePlugin() was given for a factory.
 *
 * @param init The factory's definition.
 * @returns Every problem found; empty when it is right.
 */
export function checkFactoryShape(init: { name?: unknown; setup?: unknown; options?: unknown }): Problem[] {
  const problems: Problem[] = [];
  if (typeof init.name !== "string" || init.name === "") {
    problems.push({ path: "name", message: "must be a non-empty string" });
  }
  if (typeof init.setup !== "function") problems.push({ path: "setup", message: "must be a function" });
  const options = init.options as { kind?: string } | undefined;
  if (options !== undefined && options?.kind !== "schema") {
    problems.push({
      path: "options",
      message: "must be a valibot schema, such as v.object({ path: v.string() })",
    });
  }
  return problems;
}
