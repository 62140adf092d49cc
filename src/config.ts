/**
 * The config file: {@linkcode defineConfig} for typed authoring, its valibot
 * schema, and finding and loading `bernstein.config.{ts,mts,js,mjs,json}`.
 *
 * @module
 */
import { dirname, displayPath, extname, join, resolve } from "./runtime/path.ts";
import * as v from "valibot";
import { ConfigError, type Problem } from "./errors.ts";
import { describe as kind, isPluginFactory, type Plugin, type PluginFactory } from "./plugin.ts";
import { fileUrl, host, importModule } from "./runtime/mod.ts";
import { MAX_TIMEOUT_MS } from "./spec.ts";
import { closest } from "./_suggest.ts";

// deno-lint-ignore no-explicit-any
type AnyPlugin = Plugin<any> | PluginFactory<any, any>;

/** A plugin entry written as an object. */
export interface PluginEntryObject {
  /** Specifier (path, `npm:`, `jsr:`, URL) or an inline plugin. */
  use: string | AnyPlugin;
  /** Options handed to the plugin's factory, validated against its schema. */
  options?: unknown;
  /** Set to `false` to keep the entry without loading it. */
  enabled?: boolean;
  /** Subresource-integrity hash the module must match, such as `sha256-...`. */
  integrity?: string;
  /** Deadline for each of this plugin's implementations, overriding `hooks.timeoutMs`. */
  timeoutMs?: number;
  /** Registers the plugin under another name (to load one plugin twice). */
  name?: string;
}

/** One entry of `plugins`: a specifier, `[specifier, options]`, an entry object or an inline plugin. */
export type PluginEntry = string | readonly [string, unknown] | PluginEntryObject | AnyPlugin;

/** The config file's shape. */
export interface BernsteinConfig {
  /** Plugins, loaded concurrently and registered in this order. */
  plugins?: PluginEntry[];
  /** Defaults for every hook call. */
  hooks?: {
    /** Deadline per implementation in milliseconds; default 10 000. */
    timeoutMs?: number;
    /** Consecutive failures that suspend a plugin; default 5; `false` turns it off. */
    circuitBreaker?: number | false;
    /** Validate hook arguments; default `true`. */
    validate?: boolean;
    /** `"isolate"` (default) or `"throw"`. */
    onError?: "isolate" | "throw";
  };
  /** Lockfile for remote plugins, in Deno's `deno.lock` format; `false` turns it off. */
  lock?: false | {
    /** Path relative to the config file; default `deno.lock`. */
    path?: string;
    /** Refuse any remote module not already in the lock. */
    frozen?: boolean;
  };
  /** Fail the whole load when any plugin fails, listing every error; default `false`. */
  strict?: boolean;
  /** Also load installed npm packages that declare themselves Bernstein plugins. */
  discover?: boolean;
  /** Hosts that may serve plugins over plain `http:` besides loopback ones. */
  allowHttpHosts?: string[];
  /** Where fetched remote modules are cached, relative to the config file; default `.bernstein/cache`. */
  cacheDir?: string;
}

/**
 * Declares a config with types checked and completed by the editor.
 *
 * @param config The config.
 * @returns The same config.
 * @example
 * ```ts
 * import { defineConfig } from "./config.ts";
 * export default defineConfig({
 *   plugins: ["./plugins/console-reporter.ts", ["./plugins/audit-log.ts", { path: "audit.jsonl" }]],
 * });
 * ```
 */
export function defineConfig(config: BernsteinConfig): BernsteinConfig {
  return config;
}

/** File names searched for, in order of preference. */
export const CONFIG_NAMES: readonly string[] = [
  "bernstein.config.ts",
  "bernstein.config.mts",
  "bernstein.config.js",
  "bernstein.config.mjs",
  "bernstein.config.json",
];

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

/**
 * Validates a config object and puts every plugin entry in one form.
 *
 * @param config The default export of the config file.
 * @param file The config file, for messages.
 * @returns The config and its normalised entries.
 * @throws {ConfigError} With one problem per mistake, each naming its path.
 */
export function validateConfig(
  config: unknown,
  file: string,
): { config: BernsteinConfig; entries: NormalisedEntry[] } {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ConfigError(
      file,
      `Invalid config "${displayPath(file)}"`,
      [{
        path: "",
        message: `expected an object (export default defineConfig({ ... })), received ${kind(config)}`,
      }],
    );
  }
  const problems: Problem[] = [];
  // The usual config (a plugin list, perhaps strict) passes a quick check; valibot
  // explains anything else. This runs on every start.
  if (!isPluginListOnly(config)) {
    const top = v.safeParse(TopLevelSchema, config);
    if (!top.success) problems.push(...top.issues.map((issue) => toProblem(issue, [])));
  }
  const lock = (config as { lock?: unknown }).lock;
  if (lock !== undefined && lock !== false) {
    const parsed = v.safeParse(LockSchema, lock);
    if (!parsed.success) problems.push(...parsed.issues.map((issue) => toProblem(issue, ["lock"])));
  }
  const entries: NormalisedEntry[] = [];
  const plugins = (config as { plugins?: unknown }).plugins;
  if (Array.isArray(plugins)) {
    plugins.forEach((entry, index) => {
      const normal = normaliseEntry(entry, `plugins[${index}]`, problems);
      if (normal) entries.push(normal);
    });
  }
  if (problems.length > 0) throw new ConfigError(file, `Invalid config "${displayPath(file)}"`, problems);
  return { config: config as BernsteinConfig, entries };
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
    const parsed = v.safeParse(EntryObjectSchema, entry);
    if (!parsed.success) {
      problems.push(...parsed.issues.map((issue) => toProblem(issue, [path])));
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
  problems.push({
    path,
    message:
      `expected a specifier string, [specifier, options], { use, options } or a plugin object, received ${
        kind(entry)
      }`,
  });
  return undefined;
}

function isInlinePlugin(value: unknown): value is AnyPlugin {
  return isPluginFactory(value) ||
    (typeof value === "object" && value !== null && "name" in value && "hooks" in value);
}

/** The result of {@linkcode loadConfig}. */
export interface LoadedConfig {
  /** Absolute path of the config file. */
  readonly file: string;
  /** Its folder: relative specifiers are resolved against it. */
  readonly dir: string;
  /** The validated config. */
  readonly config: BernsteinConfig;
  /** Its plugin entries, normalised. */
  readonly entries: NormalisedEntry[];
}

/**
 * Finds the config file: the first of {@linkcode CONFIG_NAMES} in `from`, then in
 * each parent folder up to the root.
 *
 * @param from Folder to start in; default the working directory.
 * @returns The absolute path, or `undefined` when there is none.
 */
export async function findConfig(from: string = host.cwd()): Promise<string | undefined> {
  let dir = resolve(host.cwd(), from);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const candidate = join(dir, name);
      if (await isFile(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Loads and validates the config: `file` when given (relative to the working
 * directory), else the one {@linkcode findConfig} finds.
 *
 * @param file Path of the config file, as `--config` gives it.
 * @param cwd Working directory; default the process's.
 * @returns The config, its location and its normalised entries.
 * @throws {ConfigError} When no file is found, it cannot be read or imported, it
 * has no default export, or it does not validate.
 */
export async function loadConfig(file?: string, cwd: string = host.cwd()): Promise<LoadedConfig> {
  const path = file !== undefined ? resolve(cwd, file) : await findConfig(cwd);
  if (path === undefined) {
    throw new ConfigError(
      undefined,
      `Cannot find a config file in "${cwd}" or its parents; create bernstein.config.ts ` +
        `(export default defineConfig({ plugins: [] })) or pass --config`,
    );
  }
  let raw: unknown;
  if (extname(path) === ".json") {
    // Read straight away (no stat first): this is on every start's path.
    let text: string;
    try {
      text = await host.readTextFile(path);
    } catch (error) {
      if (host.isNotFound(error)) {
        throw new ConfigError(path, `Cannot read config "${displayPath(path)}": ${noSuchFile(path)}`);
      }
      if (host.isDirectory(error)) {
        throw new ConfigError(path, `Cannot read config "${displayPath(path)}": it is a folder, not a file`);
      }
      throw new ConfigError(
        path,
        `Cannot read config "${displayPath(path)}": ${(error as Error).message}`,
        [],
        {
          cause: error,
        },
      );
    }
    try {
      raw = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (error) {
      throw new ConfigError(
        path,
        `Cannot parse config "${displayPath(path)}": ${(error as Error).message}`,
        [],
        {
          cause: error,
        },
      );
    }
  } else {
    const kind = await host.kindOf(path).catch(() => undefined);
    if (kind === "directory") {
      throw new ConfigError(
        path,
        `Cannot read config "${displayPath(path)}": it is a folder; name the config file in it, ` +
          `or leave out --config to search from the working directory upward`,
      );
    }
    if (kind !== "file") {
      throw new ConfigError(path, `Cannot read config "${displayPath(path)}": ${noSuchFile(path)}`);
    }
    let module: Record<string, unknown>;
    try {
      module = await importModule(fileUrl(path));
    } catch (error) {
      throw new ConfigError(
        path,
        `Cannot import config "${displayPath(path)}": ${(error as Error)?.message ?? String(error)}`,
        [],
        { cause: error },
      );
    }
    if (!("default" in module)) {
      throw new ConfigError(
        path,
        `Config "${displayPath(path)}" has no default export; write export default defineConfig({ ... })`,
      );
    }
    raw = module.default;
  }
  const { config, entries } = validateConfig(raw, path);
  return { file: path, dir: dirname(path), config, entries };
}

/**
 * Formats a valibot issue's path as it reads in a config: `plugins[2].options.url`.
 *
 * @param issue A valibot issue.
 * @param prefix Path segments to put first.
 * @returns The problem with that path.
 */
export function toProblem(issue: v.BaseIssue<unknown>, prefix: string[]): Problem {
  let path = prefix.join(".");
  for (const item of issue.path ?? []) {
    const key = item.key as PropertyKey;
    path += typeof key === "number" ? `[${key}]` : `${path ? "." : ""}${String(key)}`;
  }
  if (issue.type.endsWith("object") && issue.expected === "never") {
    const key = String(issue.path?.at(-1)?.key ?? "");
    const parent = path.slice(0, Math.max(0, path.length - key.length - 1));
    const suggestion = closest(key, configKeysAt(parent));
    return {
      path,
      message: `unknown key ${issue.received}${suggestion ? `; did you mean "${suggestion}"?` : ""}`,
    };
  }
  if (issue.type.endsWith("object") && issue.received === "undefined" && issue.input === undefined) {
    return { path, message: `is required but missing` };
  }
  return { path, message: issue.message };
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

/** The keys a config accepts at a path, for "did you mean" on an unknown one. */
function configKeysAt(parent: string): string[] {
  if (parent === "") return Object.keys(TopLevelSchema.entries);
  if (parent === "hooks") return Object.keys(TopLevelSchema.entries.hooks.wrapped.entries);
  if (parent === "lock") return Object.keys(LockSchema.entries);
  if (/^plugins\[\d+\]$/.test(parent)) return Object.keys(EntryObjectSchema.entries);
  return [];
}

/** "no such file", with the full path when the name shown is relative: npm run and deno task pick the working folder. */
function noSuchFile(path: string): string {
  return displayPath(path) === path ? "no such file" : `no such file (${path})`;
}

async function isFile(path: string): Promise<boolean> {
  return await host.kindOf(path).catch(() => undefined) === "file";
}
