/**
 * Loads the plugins a config lists: resolves each specifier, imports the modules
 * concurrently, validates their exports and options, and registers the plugins in
 * config order.
 *
 * @module
 */
import { displayPath, resolve } from "../runtime/path.ts";
import type { LoadedConfig, NormalisedEntry } from "../config.ts";
import { formatProblems, LoadFailedError, PluginLoadError, PluginValidationError } from "../errors.ts";
import { createLogger, type Logger, scopedLogger } from "../logger.ts";
import { PluginManager } from "../manager.ts";
import {
  checkPluginShape,
  describe,
  type HookImpls,
  instantiatePlugin,
  isPluginFactory,
  type Plugin,
} from "../plugin.ts";
import { filePath, fileUrl, host, importModule } from "../runtime/mod.ts";
import { type ParsedSpecifier, parseSpecifier } from "./specifier.ts";
import { verifySri } from "./remote/verify.ts";
import type { RemoteSettings } from "./remote/resolver.ts";
import type { Linked } from "./remote/link.ts";

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

/** Options of {@linkcode loadPlugins} and {@linkcode createManager}. */
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
 * @param options Logger.
 * @returns The loaded plugins in config order and one error per failure.
 */
export async function loadPlugins(config: LoadedConfig, options: LoadOptions = {}): Promise<LoadReport> {
  const logger = options.logger ?? createLogger({ prefix: "bernstein" });
  const entries = config.entries.filter((entry) => entry.enabled);
  if (config.config.discover) {
    // Every listed package, disabled ones too: `enabled: false` turns a discovered package off.
    const listed = new Set(config.entries.map((entry) => packageNameOf(entry.use)).filter(Boolean));
    // Imported when used, as npm.ts is: a config of local files loads neither.
    const { discoverPlugins } = await import("./discover.ts");
    for (const found of await discoverPlugins(config.dir)) {
      if (listed.has(found.name)) continue;
      entries.push({
        path: `discovered package "${found.name}"`,
        use: found.specifier,
        options: undefined,
        enabled: true,
        integrity: undefined,
        timeoutMs: undefined,
        name: undefined,
      });
    }
  }
  const remote = await prepareRemote(config, entries, options.frozen, true);
  let done = 0;
  const finished = (entry: NormalisedEntry) => {
    const label = typeof entry.use === "string" ? entry.use : `inline:${entry.use.name}`;
    options.onProgress?.(++done, entries.length, label);
  };
  const outcomes = await Promise.all(
    entries.map((entry) =>
      loadEntry(entry, config, { logger, print: options.print }, remote).then(
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

/**
 * Builds a manager from a config: hook defaults from `hooks`, then the plugins,
 * registered in config order. A plugin that fails to load or register is reported
 * and the rest still load; in strict mode the whole load fails with every error.
 *
 * @param config A config from `loadConfig`.
 * @param options Logger and strictness.
 * @returns The manager and the load report (including registration failures).
 * @throws {LoadFailedError} In strict mode, when any plugin failed; plugins already set up are shut down first.
 */
export async function createManager(
  config: LoadedConfig,
  options: LoadOptions = {},
): Promise<{ manager: PluginManager; report: LoadReport }> {
  const logger = options.logger ?? createLogger({ prefix: "bernstein" });
  const hooks = config.config.hooks ?? {};
  const manager = new PluginManager({
    logger,
    timeoutMs: hooks.timeoutMs,
    circuitBreaker: hooks.circuitBreaker,
    validate: hooks.validate,
    onError: hooks.onError,
  });
  const report = await loadPlugins(config, {
    logger,
    frozen: options.frozen,
    print: options.print,
    onProgress: options.onProgress,
  });
  const registered: LoadedPlugin[] = [];
  for (const loaded of report.loaded) {
    try {
      manager.register(loaded.plugin);
      registered.push(loaded);
    } catch (error) {
      const reason = error instanceof PluginValidationError ? formatProblems(error.problems) : String(error);
      report.errors.push(
        new PluginLoadError(loaded.specifier, entryLocation(config, loaded.entry), reason, { cause: error }),
      );
    }
  }
  // Registration failures come after load failures; report them all in config order.
  const position = (error: PluginLoadError) => Number(/plugins\[(\d+)\]/.exec(error.entry)?.[1] ?? Infinity);
  const errors = [...report.errors].sort((a, b) => position(a) - position(b));
  const final = { loaded: registered, errors };
  if ((options.strict ?? config.config.strict) && final.errors.length > 0) {
    await manager.shutdown().catch(() => undefined);
    throw new LoadFailedError(final.errors);
  }
  if (options.logErrors !== false) { for (const error of final.errors) logger.error(error.message); }
  await manager.idle();
  return { manager, report: final };
}

async function loadEntry(
  entry: NormalisedEntry,
  config: LoadedConfig,
  context: { logger: Logger; print?: (line: string) => void },
  remote: PreparedRemote | undefined,
): Promise<LoadedPlugin> {
  // Where the entry is, for error messages only: worked out when one is needed.
  const location = () => entryLocation(config, entry);
  if (typeof entry.use !== "string") {
    const name = entry.name ?? entry.use.name;
    const plugin = await instantiate(entry.use, entry, `inline:${name}`, location, context, config.dir);
    return { entry, specifier: `inline:${name}`, resolved: "inline", version: undefined, plugin };
  }
  const specifier = entry.use;
  const fail = (reason: string, cause?: unknown): never => {
    throw new PluginLoadError(specifier, location(), reason, cause === undefined ? undefined : { cause });
  };
  let parsed;
  try {
    parsed = parseSpecifier(specifier, config.dir, config.config.allowHttpHosts);
  } catch (error) {
    return fail((error as Error).message);
  }
  let url: string;
  let importUrl: string | undefined;
  let version: string | undefined;
  switch (parsed.kind) {
    case "file": {
      // Existence is checked only when the import fails: a stat per plugin would slow every start.
      url = parsed.url;
      if (entry.integrity) await verifyFile(parsed.path, entry.integrity).catch((e) => fail(e.message, e));
      break;
    }
    case "npm": {
      try {
        const { resolveNpm } = await import("./npm.ts");
        const pkg = await resolveNpm(parsed, config.dir);
        url = pkg.url;
        version = pkg.version;
        if (entry.integrity) await verifyFile(filePath(url), entry.integrity);
      } catch (error) {
        // "plugins/x.ts" reads as a package name; say so when such a file exists.
        const asPath = resolve(config.dir, specifier);
        const isFile = await host.kindOf(asPath).then((kind) => kind === "file", () => false);
        const hint = isFile ? `; to load the file "${asPath}", write "./${specifier}"` : "";
        return fail(`${(error as Error).message}${hint}`, error);
      }
      break;
    }
    case "jsr":
    case "url": {
      url = importTarget(parsed)!;
      const linked = remote?.linked?.plugins.get(url);
      if (linked !== undefined && "error" in linked) return fail(linked.error.message, linked.error);
      importUrl = linked?.importUrl;
      if (host.importsRemote && entry.integrity) {
        // Deno imports natively; check the SRI hash with our own (cached, lockless) fetch first. No
        // lock: the config's may not be the one Deno uses, and its pins could pick another version.
        try {
          const { RemoteResolver } = await import("./remote/resolver.ts");
          const resolver = new RemoteResolver({ ...remote!.settings, lockPath: undefined, frozen: false });
          const final = parsed.kind === "url"
            ? await resolver.resolveUrl(url)
            : await resolver.resolveJsr(url);
          await resolver.fetchVerified(final); // resolving bound the entry's hash to what it resolved to
        } catch (error) {
          return fail((error as Error).message, error);
        }
      }
      break;
    }
  }
  let module: Record<string, unknown>;
  try {
    module = await importModule(importUrl ?? url!);
  } catch (error) {
    if (parsed.kind === "file" && !(await host.kindOf(parsed.path).then((k) => k === "file", () => false))) {
      return fail(`no such file "${parsed.path}" (paths are relative to the config file's folder)`, error);
    }
    let reason = firstLine(error);
    // A linked module's file name means nothing to the reader: name its URL.
    if (remote?.linked !== undefined) {
      reason = (await import("./remote/link.ts")).remoteNames(reason, remote.linked.modules);
    }
    return fail(`cannot import it: ${reason}`, error);
  }
  const exported = "default" in module ? module.default : module.plugin;
  if (exported === undefined) {
    const names = Object.keys(module);
    return fail(
      `the module has no default export and no export named "plugin"` +
        (names.length > 0 ? ` (it exports ${names.map((n) => `"${n}"`).join(", ")})` : "") +
        `; write export default definePlugin({ ... })`,
    );
  }
  const plugin = await instantiate(exported, entry, specifier, location, context, config.dir);
  return { entry, specifier, resolved: url!, version, plugin };
}

async function instantiate(
  exported: unknown,
  entry: NormalisedEntry,
  specifier: string,
  location: () => string,
  context: { logger: Logger; print?: (line: string) => void },
  dir: string,
): Promise<AnyPlugin> {
  const fail = (reason: string, cause?: unknown): never => {
    throw new PluginLoadError(specifier, location(), reason, cause === undefined ? undefined : { cause });
  };
  let plugin: unknown;
  if (isPluginFactory(exported)) {
    const name = entry.name ?? exported.name;
    try {
      plugin = await instantiatePlugin(exported, entry.options, {
        name,
        logger: scopedLogger(context.logger, name),
        dir,
        print: context.print,
      });
    } catch (error) {
      if (error instanceof PluginValidationError) {
        return fail(
          formatProblems(error.problems.map((p) => ({ ...p, path: `${entry.path}.${p.path}` }))),
          error,
        );
      }
      return fail((error as Error).message, error);
    }
  } else if (typeof exported === "function") {
    try {
      plugin = await exported(entry.options);
    } catch (error) {
      return fail(`its factory function threw: ${firstLine(error)}`, error);
    }
  } else if (typeof exported === "object" && exported !== null) {
    if (entry.options !== undefined) {
      return fail(
        `${entry.path}.options: this plugin is a plain object and takes no options; ` +
          `remove them, or have the plugin export a factory (definePlugin with setup)`,
      );
    }
    plugin = exported;
  } else {
    return fail(`the export must be a plugin object or a factory, received ${describe(exported)}`);
  }
  const problems = checkPluginShape(plugin);
  if (problems.length > 0) return fail(formatProblems(problems));
  let result = plugin as AnyPlugin;
  if (entry.name !== undefined && result.name !== entry.name) result = { ...result, name: entry.name };
  if (entry.timeoutMs !== undefined) {
    result = { ...result, hooks: withTimeout(result.hooks, entry.timeoutMs) };
  }
  return result;
}

/** Gives every implementation without its own deadline the entry's. */
function withTimeout(hooks: HookImpls, timeoutMs: number): HookImpls {
  const out: Record<string, unknown> = {};
  for (const [hook, impl] of Object.entries(hooks)) {
    out[hook] = typeof impl === "function"
      ? { handler: impl, timeoutMs }
      : { ...impl, timeoutMs: (impl as { timeoutMs?: number }).timeoutMs ?? timeoutMs };
  }
  return out as HookImpls;
}

/** Remote settings, and on Node the plugins linked for import without the remote hooks. */
interface PreparedRemote {
  readonly settings: RemoteSettings;
  /** The linked plugins; undefined when the hooks load them. */
  readonly linked?: Linked;
}

/**
 * Settings for remote plugins; on Node also the plugins linked as plain files
 * (`remote/link.ts`) where their graphs allow, and the loader hooks, configured
 * with these settings, for the rest and for remote modules that local plugins
 * import. Nothing when the config lists no remote plugin, so that local-only
 * start-up never loads the remote code (there, a local plugin cannot import a
 * remote module on Node).
 *
 * @param link Whether to link (false: the hooks load every remote plugin).
 */
async function prepareRemote(
  config: LoadedConfig,
  entries: NormalisedEntry[],
  frozen: boolean | undefined,
  link: boolean,
): Promise<PreparedRemote | undefined> {
  const remoteEntries = entries.filter((e) =>
    typeof e.use === "string" && /^(jsr:|https?:)/i.test(e.use.trim())
  );
  if (remoteEntries.length === 0) return undefined;
  // What each entry imports, parsed once; entries that do not parse fail in loadEntry.
  const targets = new Map<NormalisedEntry, string>();
  for (const entry of remoteEntries) {
    try {
      const target = importTarget(
        parseSpecifier(entry.use as string, config.dir, config.config.allowHttpHosts),
      );
      if (target !== undefined) targets.set(entry, target);
    } catch {
      // Reported by loadEntry.
    }
  }
  const lock = config.config.lock;
  const settings: RemoteSettings = {
    cacheDir: resolve(config.dir, config.config.cacheDir ?? ".bernstein/cache"),
    lockPath: lock === false ? undefined : resolve(config.dir, lock?.path ?? "deno.lock"),
    frozen: frozen ?? (lock !== false && lock?.frozen === true),
    jsrUrl: host.env("JSR_URL") ?? "https://jsr.io",
    allowHttpHosts: config.config.allowHttpHosts ?? [],
    // Keyed by what is imported, in one spelling, as loadEntry and the resolver look them up.
    integrity: Object.fromEntries(
      [...targets].flatMap(([entry, target]) =>
        entry.integrity === undefined ? [] : [[target, entry.integrity]]
      ),
    ),
  };
  if (host.importsRemote) return { settings };
  let linked: Linked | undefined;
  if (link) {
    const { linkRemotePlugins } = await import("./remote/link.ts");
    linked = await linkRemotePlugins(settings, [...new Set(targets.values())]);
  }
  // The hooks cost every later import a step in Node's loader thread (~3 ms for 21
  // linked plugins): only when a graph did not link, or when a local or npm plugin
  // may import a remote module (which then resolves to its linked file, if any).
  const local = entries.some((e) => typeof e.use === "string" && !remoteEntries.includes(e));
  if (linked === undefined || local) {
    const { configureRemoteLoader } = await import("./remote/node/node.ts");
    await configureRemoteLoader(settings, fileUrl(`${config.dir}/`), linked?.modules);
  }
  return { settings, linked };
}

/** What a remote specifier imports: its URL or `jsr:` specifier in one spelling (undefined if not remote). */
function importTarget(parsed: ParsedSpecifier): string | undefined {
  return parsed.kind === "url" ? parsed.url : parsed.kind === "jsr" ? parsed.specifier : undefined;
}

async function verifyFile(path: string, sri: string): Promise<void> {
  await verifySri(await host.readFile(path), sri, { name: path, kind: "file" });
}

/** Where an entry sits, as load errors name it: `bernstein.config.ts: plugins[2]`. */
export function entryLocation(config: LoadedConfig, entry: NormalisedEntry): string {
  return `${displayPath(config.file)}: ${entry.path}`;
}

function packageNameOf(use: NormalisedEntry["use"]): string | undefined {
  if (typeof use !== "string") return undefined;
  const match = /^(?:npm:)?((?:@[^/@]+\/)?[^/@.][^/@]*)/.exec(use);
  return match && !use.startsWith(".") && !use.includes("://") && !use.startsWith("jsr:")
    ? match[1]
    : undefined;
}

/** The gist of an error: its first three non-empty lines, joined. */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").map((line) => line.trim()).filter(Boolean).slice(0, 3).join(" ");
}

/** What {@linkcode cacheRemotePlugins} did for one remote entry. */
export interface CacheOutcome {
  /** The specifier as written. */
  readonly specifier: string;
  /** The error, when fetching or verifying failed. */
  readonly error?: string;
}

/**
 * Fetches every remote plugin of a config (and everything it imports) into the
 * cache and writes the lockfile, without running any plugin's setup; afterwards
 * the config can load frozen and offline.
 *
 * @param config A config from `loadConfig`.
 * @param onProgress Told each specifier as it starts.
 * @returns One outcome per remote entry, in config order.
 */
export async function cacheRemotePlugins(
  config: LoadedConfig,
  onProgress: (specifier: string) => void = () => {},
): Promise<CacheOutcome[]> {
  const entries = config.entries.filter((e) =>
    typeof e.use === "string" && /^(jsr:|https?:)/i.test(e.use.trim())
  );
  await prepareRemote(config, entries, false, false);
  const outcomes: CacheOutcome[] = [];
  for (const entry of entries) {
    const specifier = (entry.use as string).trim();
    onProgress(specifier);
    try {
      await importModule(importTarget(parseSpecifier(specifier, config.dir, config.config.allowHttpHosts))!);
      outcomes.push({ specifier });
    } catch (error) {
      outcomes.push({ specifier, error: firstLine(error) });
    }
  }
  return outcomes;
}
