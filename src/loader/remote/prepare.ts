/**
 * A config's remote plugins made loadable: their settings (cache, lock, registry,
 * policy, SRI hashes), and on Node the plugins linked as plain files (`link.ts`)
 * where their graphs allow, and the loader hooks (`node/`) for the rest. Also
 * `bernstein cache`: every remote plugin fetched ahead of time. Imported only when
 * a config lists a remote plugin, so that local-only start-up loads none of it.
 *
 * @module
 */
import type { LoadedConfig, NormalisedEntry } from "../../config.ts";
import { fileUrl, host, importModule } from "../../runtime/mod.ts";
import { resolve } from "../../runtime/path.ts";
import { firstLines } from "../_load-error.ts";
import { type ParsedSpecifier, parseSpecifier } from "../specifier.ts";
import type { Linked } from "./link.ts";
import { isRemoteSpecifier } from "./policy.ts";
import type { RemoteSettings } from "./resolver.ts";

/** Remote settings, and on Node the plugins linked for import without the remote hooks. */
export interface PreparedRemote {
  /** How remote loading behaves for the config. */
  readonly settings: RemoteSettings;
  /** The linked plugins; undefined when the hooks load them (or the runtime imports them itself). */
  readonly linked?: Linked;
}

/** How {@linkcode prepareRemote} prepares. */
export interface PrepareOptions {
  /** Overrides the config's `lock.frozen`. */
  readonly frozen?: boolean;
  /** Whether to link (false: the hooks load every remote plugin). */
  readonly link: boolean;
}

/**
 * Settings for a config's remote plugins; on Node also the plugins linked as
 * plain files where their graphs allow, and the loader hooks, configured with
 * these settings, for the rest and for remote modules that local plugins import.
 * Nothing when the entries list no remote plugin (there, on Node, a local plugin
 * cannot import a remote module).
 *
 * @param config The config.
 * @param entries The entries that load (discovered ones included).
 * @param options Frozen or not, and whether to link.
 * @returns The settings and linked plugins, or undefined without remote entries.
 */
export async function prepareRemote(
  config: LoadedConfig,
  entries: readonly NormalisedEntry[],
  options: PrepareOptions,
): Promise<PreparedRemote | undefined> {
  const remoteEntries = entries.filter((e) => typeof e.use === "string" && isRemoteSpecifier(e.use));
  if (remoteEntries.length === 0) return undefined;
  const targets = importTargets(config, remoteEntries);
  const settings = remoteSettings(config, targets, options.frozen);
  if (host.importsRemote) return { settings };
  let linked: Linked | undefined;
  if (options.link) {
    const { linkRemotePlugins } = await import("./link.ts");
    linked = await linkRemotePlugins(settings, [...new Set(targets.values())]);
  }
  // The hooks cost every later import a step in Node's loader thread (~3 ms for 21
  // linked plugins): only when a graph did not link, or when a local or npm plugin
  // may import a remote module (which then resolves to its linked file, if any).
  const local = entries.some((e) => typeof e.use === "string" && !remoteEntries.includes(e));
  if (linked === undefined || local) {
    const { configureRemoteLoader } = await import("./node/node.ts");
    await configureRemoteLoader(settings, fileUrl(`${config.dir}/`), linked?.modules);
  }
  return { settings, linked };
}

/** What each remote entry imports, parsed once; entries that do not parse fail when they load. */
function importTargets(
  config: LoadedConfig,
  entries: readonly NormalisedEntry[],
): Map<NormalisedEntry, string> {
  const targets = new Map<NormalisedEntry, string>();
  for (const entry of entries) {
    try {
      const target = importTarget(
        parseSpecifier(entry.use as string, config.dir, config.config.allowHttpHosts),
      );
      if (target !== undefined) targets.set(entry, target);
    } catch {
      // Reported as the entry loads.
    }
  }
  return targets;
}

/** The config's remote settings, with the SRI hash of each entry that has one. */
function remoteSettings(
  config: LoadedConfig,
  targets: ReadonlyMap<NormalisedEntry, string>,
  frozen: boolean | undefined,
): RemoteSettings {
  const lock = config.config.lock;
  return {
    cacheDir: resolve(config.dir, config.config.cacheDir ?? ".bernstein/cache"),
    lockPath: lock === false ? undefined : resolve(config.dir, lock?.path ?? "deno.lock"),
    frozen: frozen ?? (lock !== false && lock?.frozen === true),
    jsrUrl: host.env("JSR_URL") ?? "https://jsr.io",
    allowHttpHosts: config.config.allowHttpHosts ?? [],
    // Keyed by what is imported, in one spelling, as entries and the resolver look them up.
    integrity: Object.fromEntries(
      [...targets].flatMap(([entry, target]) =>
        entry.integrity === undefined ? [] : [[target, entry.integrity]]
      ),
    ),
  };
}

/**
 * What a remote specifier imports: its URL or `jsr:` specifier in one spelling.
 *
 * @param parsed A parsed specifier.
 * @returns The import target, or undefined when the specifier is not remote.
 */
export function importTarget(parsed: ParsedSpecifier): string | undefined {
  return parsed.kind === "url" ? parsed.url : parsed.kind === "jsr" ? parsed.specifier : undefined;
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
  const entries = config.entries.filter((e) => typeof e.use === "string" && isRemoteSpecifier(e.use));
  await prepareRemote(config, entries, { frozen: false, link: false });
  const outcomes: CacheOutcome[] = [];
  for (const entry of entries) {
    const specifier = (entry.use as string).trim();
    onProgress(specifier);
    try {
      await importModule(importTarget(parseSpecifier(specifier, config.dir, config.config.allowHttpHosts))!);
      outcomes.push({ specifier });
    } catch (error) {
      outcomes.push({ specifier, error: firstLines(error) });
    }
  }
  return outcomes;
}
