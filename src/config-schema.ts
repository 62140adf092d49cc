/**
 * The config's valibot schemas, and its plugin entries put in one normal form:
 * what {@linkcode validateConfig} in `./config.ts` checks a config with.
 *
 * @module
 */
import * as v from "valibot";
import type { Plugin, PluginFactory } from "./plugin.ts";
import type { Problem } from "./errors.ts";
import { isPluginFactory } from "./plugin.ts";
import { describe as kind } from "./_text.ts";
import { MAX_TIMEOUT_MS } from "./spec.ts";
import { closest } from "./_suggest.ts";
import { issueToProblem } from "./_problems.ts";

/** A plugin written in the config itself: an object or a factory. */
// deno-lint-ignore no-explicit-any
export type AnyPlugin = Plugin<any> | PluginFactory<any, any>;

/** A plugin entry in one normal form. */
export interface NormalisedEntry {
  /** Where it sits, such as `plugins[2]`. */
  readonly path: string;
  /** The specifier, or an inline plugin. */
  readonly use: string | AnyPlugin;
  /** Options for the factory. */
  readonly options: unknown;
  /** Whether to load it. */
  readonly enabled: boolean;
  /** SRI hash to enforce, if any. */
  readonly integrity: string | undefined;
  /** Deadline override for its implementations. */
  readonly timeoutMs: number | undefined;
  /** Name override. */
  readonly name: string | undefined;
}

// A count or a deadline in a config file: at least 1, with valibot's own
// messages, which the config's error report quotes (isTimeout() is the library's rule).
const Positive = v.pipe(v.number(), v.minValue(1), v.maxValue(MAX_TIMEOUT_MS));

const TopLevelSchema = v.strictObject({
  plugins: v.optional(v.array(v.unknown())),
  hooks: v.optional(v.strictObject({
    timeoutMs: v.optional(Positive),
    circuitBreaker: v.optional(v.union([Positive, v.literal(false)])),
    validate: v.optional(v.boolean()),
    onError: v.optional(v.picklist(["isolate", "throw"])),
  })),
  // Checked by LockSchema unless it is false, so that problems inside it keep their path.
  lock: v.optional(v.unknown()),
  strict: v.optional(v.boolean()),
  discover: v.optional(v.boolean()),
  allowHttpHosts: v.optional(v.array(v.pipe(v.string(), v.nonEmpty()))),
  cacheDir: v.optional(v.pipe(v.string(), v.nonEmpty())),
});

const LockSchema = v.strictObject({
  path: v.optional(v.pipe(v.string(), v.nonEmpty())),
  frozen: v.optional(v.boolean()),
}, "Expected false or { path?, frozen? }");

const EntryObjectSchema = v.strictObject({
  use: v.unknown(),
  options: v.optional(v.unknown()),
  enabled: v.optional(v.boolean()),
  integrity: v.optional(v.pipe(
    v.string(),
    v.regex(/^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$/, 'Expected an SRI hash such as "sha384-..."'),
  )),
  timeoutMs: v.optional(Positive),
  name: v.optional(v.pipe(v.string(), v.nonEmpty())),
});

/**
 * The problems of a config's top level and its `lock`, in that order.
 *
 * @param config The config object.
 * @returns The problems; none for a valid config.
 */
export function topLevelProblems(config: object): Problem[] {
  const problems: Problem[] = [];
  // The usual config (a plugin list, perhaps strict) passes a quick check; valibot
  // explains anything else. This runs on every start.
  if (!isPluginListOnly(config)) {
    const top = v.safeParse(TopLevelSchema, config);
    if (!top.success) problems.push(...top.issues.map((issue) => toProblem(issue, "")));
  }
  const lock = (config as { lock?: unknown }).lock;
  if (lock !== undefined && lock !== false) {
    const parsed = v.safeParse(LockSchema, lock);
    if (!parsed.success) problems.push(...parsed.issues.map((issue) => toProblem(issue, "lock")));
  }
  return problems;
}

/**
 * A config's plugin entries in one normal form; an entry that is wrong adds its
 * problems instead.
 *
 * @param config The config object.
 * @param problems Where the entries' problems go.
 * @returns The entries that are right, in config order.
 */
export function normaliseEntries(config: object, problems: Problem[]): NormalisedEntry[] {
  const entries: NormalisedEntry[] = [];
  const plugins = (config as { plugins?: unknown }).plugins;
  if (Array.isArray(plugins)) {
    plugins.forEach((entry, index) => {
      const normal = normaliseEntry(entry, `plugins[${index}]`, problems);
      if (normal) entries.push(normal);
    });
  }
  return entries;
}

function normaliseEntry(entry: unknown, path: string, problems: Problem[]): NormalisedEntry | undefined {
  const base = {
    path,
    options: undefined,
    enabled: true,
    integrity: undefined,
    timeoutMs: undefined,
    name: undefined,
  };
  if (typeof entry === "string") {
    if (entry.trim() === "") {
      problems.push({ path, message: "expected a plugin specifier, received an empty specifier" });
      return undefined;
    }
    return { ...base, use: entry };
  }
  if (Array.isArray(entry)) {
    if (entry.length !== 2 || typeof entry[0] !== "string" || entry[0].trim() === "") {
      problems.push({
        path,
        message: `expected [specifier, options], received an array of ${entry.length} item(s)` +
          (typeof entry[0] !== "string"
            ? " whose first item is not a specifier string"
            : entry[0].trim() === ""
            ? " whose specifier is empty"
            : ""),
      });
      return undefined;
    }
    return { ...base, use: entry[0], options: entry[1] };
  }
  if (isInlinePlugin(entry)) return { ...base, use: entry };
  if (typeof entry === "object" && entry !== null && "use" in entry) {
    return normaliseObject(entry, path, problems);
  }
  problems.push({
    path,
    message:
      `expected a specifier string, [specifier, options], { use, options } or a plugin object, received ${
        kind(entry)
      }`,
  });
  return undefined;
}

/** An entry written as `{ use, options, ... }`, checked against its schema. */
function normaliseObject(entry: object, path: string, problems: Problem[]): NormalisedEntry | undefined {
  const parsed = v.safeParse(EntryObjectSchema, entry);
  if (!parsed.success) {
    problems.push(...parsed.issues.map((issue) => toProblem(issue, path)));
    return undefined;
  }
  const use = parsed.output.use;
  if (!(typeof use === "string" && use.trim() !== "") && !isInlinePlugin(use)) {
    problems.push({
      path: `${path}.use`,
      message: `expected a plugin specifier or an inline plugin, received ${
        typeof use === "string" ? "an empty specifier" : kind(use)
      }`,
    });
    return undefined;
  }
  return {
    path,
    use: use as string | AnyPlugin,
    options: parsed.output.options,
    enabled: parsed.output.enabled ?? true,
    integrity: parsed.output.integrity,
    timeoutMs: parsed.output.timeoutMs,
    name: parsed.output.name,
  };
}

function isInlinePlugin(value: unknown): value is AnyPlugin {
  return isPluginFactory(value) ||
    (typeof value === "object" && value !== null && "name" in value && "hooks" in value);
}

/**
 * True for a plain object whose own data properties are only `plugins` (an array),
 * `strict` and `discover` (booleans). Anything else (getters, inherited or hidden
 * properties, class instances) goes to valibot.
 */
function isPluginListOnly(config: object): boolean {
  const proto = Object.getPrototypeOf(config);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key of Reflect.ownKeys(config)) {
    const property = Object.getOwnPropertyDescriptor(config, key);
    if (property === undefined || !("value" in property)) return false;
    const value = property.value;
    if (
      key === "plugins"
        ? !Array.isArray(value)
        : !(key === "strict" || key === "discover") || typeof value !== "boolean"
    ) {
      return false;
    }
  }
  return true;
}

/** A valibot issue as a config problem: `plugins[2].options`, with "did you mean" on an unknown key. */
function toProblem(issue: v.BaseIssue<unknown>, prefix: string): Problem {
  return issueToProblem(issue, prefix, {
    brackets: true,
    suggest: (key, parent) => closest(key, configKeysAt(parent)),
  });
}

/** The keys a config accepts at a path, for "did you mean" on an unknown one. */
function configKeysAt(parent: string): string[] {
  if (parent === "") return Object.keys(TopLevelSchema.entries);
  if (parent === "hooks") return Object.keys(TopLevelSchema.entries.hooks.wrapped.entries);
  if (parent === "lock") return Object.keys(LockSchema.entries);
  if (/^plugins\[\d+\]$/.test(parent)) return Object.keys(EntryObjectSchema.entries);
  return [];
}
