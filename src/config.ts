/**
 * The config file: {@linkcode defineConfig} for typed authoring, the config's
 * types, and finding, loading and validating `bernstein.config.{ts,mts,js,mjs,json}`
 * (the schemas and the entries' normal form are in `./config-schema.ts`).
 *
 * @module
 */
import { dirname, displayPath, extname, join, resolve } from "./runtime/path.ts";
import { type AnyPlugin, type NormalisedEntry, normaliseEntries, topLevelProblems } from "./config-schema.ts";

export type { AnyPlugin, NormalisedEntry } from "./config-schema.ts";
import { ConfigError } from "./errors.ts";
import { describe as kind } from "./_text.ts";
import { fileUrl, host, importModule } from "./runtime/mod.ts";

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
  const problems = topLevelProblems(config);
  const entries = normaliseEntries(config, problems);
  if (problems.length > 0) throw new ConfigError(file, `Invalid config "${displayPath(file)}"`, problems);
  return { config: config as BernsteinConfig, entries };
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
 * @example
 * ```ts
 * import { mkdtemp, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { loadConfig } from "../mod.ts";
 * const dir = await mkdtemp(join(tmpdir(), "bernstein-example-"));
 * await writeFile(join(dir, "bernstein.config.json"), JSON.stringify({ plugins: ["./audit.ts"] }));
 * const config = await loadConfig(undefined, dir);
 * if (config.entries[0].use !== "./audit.ts" || config.entries[0].path !== "plugins[0]") throw new Error("not read");
 * ```
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
  // JSON is read straight away (no stat first): this is on every start's path.
  const raw = extname(path) === ".json" ? await readJsonConfig(path) : await importConfig(path);
  const { config, entries } = validateConfig(raw, path);
  return { file: path, dir: dirname(path), config, entries };
}

/** The config a JSON file holds. */
async function readJsonConfig(path: string): Promise<unknown> {
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
    const message = `Cannot read config "${displayPath(path)}": ${(error as Error).message}`;
    throw new ConfigError(path, message, [], { cause: error });
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    const message = `Cannot parse config "${displayPath(path)}": ${(error as Error).message}`;
    throw new ConfigError(path, message, [], { cause: error });
  }
}

/** The default export of a config module. */
async function importConfig(path: string): Promise<unknown> {
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
  return module.default;
}

/** "no such file", with the full path when the name shown is relative: npm run and deno task pick the working folder. */
function noSuchFile(path: string): string {
  return displayPath(path) === path ? "no such file" : `no such file (${path})`;
}

async function isFile(path: string): Promise<boolean> {
  return await host.kindOf(path).catch(() => undefined) === "file";
}

/**
 * Where an entry sits, as load errors name it: `bernstein.config.ts: plugins[2]`.
 *
 * @param config The config the entry is in.
 * @param entry The entry.
 * @returns The config file (relative to the working directory when inside it) and the entry's path.
 */
export function entryLocation(config: LoadedConfig, entry: NormalisedEntry): string {
  return `${displayPath(config.file)}: ${entry.path}`;
}
