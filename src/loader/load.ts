/**
 * Loads the plugins a config lists: resolves each entry (`entry.ts`), imports the
 * modules concurrently, and makes each export a plugin (`instantiate.ts`). The
 * loader returns plugins; registering them with a manager is `src/setup.ts`'s job.
 *
 * @module
 */
import type { LoadedConfig, NormalisedEntry } from "../config.ts";
import { PluginLoadError } from "../errors.ts";
import { createLogger, type Logger } from "../logger.ts";
import type { Plugin } from "../plugin.ts";
import { host, importModule } from "../runtime/mod.ts";
import { isAbsolute } from "../runtime/path.ts";
import { type EntryContext, firstLines, loadError } from "./_load-error.ts";
import { type ResolvedEntry, resolvePluginEntry } from "./entry.ts";
import { instantiate, type InstantiateContext, pluginExport } from "./instantiate.ts";
import type { PreparedRemote } from "./remote/prepare.ts";
import { isRemoteSpecifier } from "./remote/policy.ts";
import { splitPackage } from "./specifier.ts";

// deno-lint-ignore no-explicit-any
type AnyPlugin = Plugin<any>;

/** A plugin that loaded, with where it came from. */
export interface LoadedPlugin {
  /** The config entry (or the discovered package). */
  readonly entry: NormalisedEntry;
  /** The specifier as written, or `inline:<name>` for an inline plugin. */
  readonly specifier: string;
  /** What was imported: a URL, or `inline`. */
  readonly resolved: string;
  /** The package version, for npm packages. */
  readonly version: string | undefined;
  /** The plugin, instantiated. */
  readonly plugin: AnyPlugin;
}

/** What {@linkcode loadPlugins} produced. */
export interface LoadReport {
  /** Plugins that loaded, in config order (discovered ones last). */
  readonly loaded: LoadedPlugin[];
  /** One error per plugin that did not. */
  readonly errors: PluginLoadError[];
}

/** Options of {@linkcode loadPlugins} and `createManager`. */
export interface LoadOptions {
  /** Logger handed to plugins' setup; default the console. */
  logger?: Logger;
  /** Overrides the config's `strict`. */
  strict?: boolean;
  /** Overrides the config's `lock.frozen` (Node; on Deno pass --frozen). */
  frozen?: boolean;
  /** Where plugins print human output; default standard output. */
  print?: (line: string) => void;
  /** Log each load error through the logger (createManager); default true. */
  logErrors?: boolean;
  /** Told as each plugin finishes loading (or fails): how many so far, of how many, which. */
  onProgress?: (done: number, total: number, specifier: string) => void;
}

/**
 * Loads every enabled plugin of a config, concurrently; reports failures instead
 * of throwing.
 *
 * @param config A config from `loadConfig`.
 * @param options Logger, print, frozen and progress.
 * @returns The loaded plugins in config order and one error per failure.
 * @example
 * ```ts
 * import { mkdtemp, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { loadConfig, loadPlugins } from "../../mod.ts";
 * const dir = await mkdtemp(join(tmpdir(), "bernstein-example-"));
 * await writeFile(join(dir, "hello.mjs"), `export default { name: "hello", hooks: {} };`);
 * await writeFile(join(dir, "bernstein.config.json"), JSON.stringify({ plugins: ["./hello.mjs"] }));
 * const report = await loadPlugins(await loadConfig(undefined, dir));
 * if (report.loaded[0].plugin.name !== "hello") throw new Error("not loaded");
 * ```
 */
export async function loadPlugins(config: LoadedConfig, options: LoadOptions = {}): Promise<LoadReport> {
  const context = { logger: options.logger ?? createLogger({ prefix: "bernstein" }), print: options.print };
  const entries = config.entries.filter((entry) => entry.enabled);
  if (config.config.discover) entries.push(...await discoveredEntries(config));
  // Imported when used, as npm.ts is: a config of local files loads no remote code.
  const remote = entries.some((e) => typeof e.use === "string" && isRemoteSpecifier(e.use))
    ? await (await import("./remote/prepare.ts")).prepareRemote(config, entries, {
      frozen: options.frozen,
      link: true,
    })
    : undefined;
  let done = 0;
  const finished = (entry: NormalisedEntry) => {
    const label = typeof entry.use === "string" ? entry.use : `inline:${entry.use.name}`;
    options.onProgress?.(++done, entries.length, label);
  };
  const outcomes = await Promise.all(
    entries.map((entry) =>
      loadEntry({ config, entry }, context, remote).then(
        (loaded) => (finished(entry), loaded),
        (error: PluginLoadError) => (finished(entry), error),
      )
    ),
  );
  return {
    loaded: outcomes.filter((o): o is LoadedPlugin => !(o instanceof PluginLoadError)),
    errors: outcomes.filter((o): o is PluginLoadError => o instanceof PluginLoadError),
  };
}

/** The installed plugin packages the config does not list, as entries. */
async function discoveredEntries(config: LoadedConfig): Promise<NormalisedEntry[]> {
  // Every listed package, disabled ones too: `enabled: false` turns a discovered package off.
  const listed = new Set(config.entries.map((entry) => packageNameOf(entry)).filter(Boolean));
  // Imported when used, as npm.ts is: a config of local files loads neither.
  const { discoverPlugins } = await import("./discover.ts");
  return (await discoverPlugins(config.dir)).filter((found) => !listed.has(found.name)).map((found) => ({
    path: `discovered package "${found.name}"`,
    use: found.specifier,
    options: undefined,
    enabled: true,
    integrity: undefined,
    timeoutMs: undefined,
    name: undefined,
  }));
}

/** Loads one entry: resolves it, imports it and makes its export a plugin. */
async function loadEntry(
  { config, entry }: Omit<EntryContext, "specifier">,
  context: InstantiateContext,
  remote: PreparedRemote | undefined,
): Promise<LoadedPlugin> {
  if (typeof entry.use !== "string") {
    const specifier = `inline:${entry.name ?? entry.use.name}`;
    const plugin = await instantiate(entry.use, { config, entry, specifier }, context);
    return { entry, specifier, resolved: "inline", version: undefined, plugin };
  }
  const at = { config, entry, specifier: entry.use };
  const resolved = await resolvePluginEntry(at, remote);
  const module = await importEntry(at, resolved, remote);
  const plugin = await instantiate(pluginExport(module, at), at, context);
  return { entry, specifier: at.specifier, resolved: resolved.url, version: resolved.version, plugin };
}

/** Imports a resolved entry's module; a failure names the missing file or the remote module. */
async function importEntry(
  at: EntryContext,
  resolved: ResolvedEntry,
  remote: PreparedRemote | undefined,
): Promise<Record<string, unknown>> {
  try {
    return await importModule(resolved.importUrl ?? resolved.url);
  } catch (error) {
    const { parsed } = resolved;
    if (parsed.kind === "file" && !(await host.kindOf(parsed.path).then((k) => k === "file", () => false))) {
      throw loadError(
        at,
        `no such file "${parsed.path}" (paths are relative to the config file's folder)`,
        error,
      );
    }
    let reason = firstLines(error);
    // A linked module's file name means nothing to the reader: name its URL.
    if (remote?.linked !== undefined) {
      reason = (await import("./remote/link.ts")).remoteNames(reason, remote.linked.modules);
    }
    throw loadError(at, `cannot import it: ${reason}`, error);
  }
}

/** The npm package an entry names (`npm:` or bare, with or without a range), to leave it out of discovery. */
function packageNameOf(entry: NormalisedEntry): string | undefined {
  if (typeof entry.use !== "string") return undefined;
  const use = entry.use.trim();
  if (/^npm:/i.test(use)) return splitPackage(use.slice(4))?.name;
  if (/^[a-z][a-z0-9+.-]*:/i.test(use) || use.startsWith(".") || isAbsolute(use)) return undefined;
  return splitPackage(use)?.name;
}
