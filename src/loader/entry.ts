/**
 * Entry resolution: from a config entry's specifier to the URL to import, by
 * kind. A file is imported as it is; an npm package is found in node_modules and
 * its `exports` read; a `jsr:` or URL entry imports as it is written, or (on Node)
 * as the file it was linked to. An entry's `integrity` is checked on the way,
 * except where the remote loader checks it as it loads the module.
 *
 * @module
 */
import { filePath, host } from "../runtime/mod.ts";
import { resolve } from "../runtime/path.ts";
import { type EntryContext, loadError } from "./_load-error.ts";
import type { PreparedRemote } from "./remote/prepare.ts";
import { verifySri } from "./remote/verify.ts";
import { type ParsedSpecifier, parseSpecifier } from "./specifier.ts";

/** Where an entry's module is. */
export interface ResolvedEntry {
  /** The specifier, parsed. */
  readonly parsed: ParsedSpecifier;
  /** What reports name: a `file:` URL, a remote URL, or a `jsr:` specifier. */
  readonly url: string;
  /** What to import, when not `url`: the linked file of a remote plugin. */
  readonly importUrl?: string;
  /** The installed version, for npm packages. */
  readonly version?: string;
}

/**
 * Resolves an entry's specifier to the module to import.
 *
 * @param at The entry, whose `use` is a specifier.
 * @param remote The config's remote settings and linked plugins, if it has remote entries.
 * @returns The module's URLs and, for npm packages, the version.
 * @throws {PluginLoadError} For a specifier that does not parse or resolve, or content that fails its integrity.
 */
export async function resolvePluginEntry(at: EntryContext, remote?: PreparedRemote): Promise<ResolvedEntry> {
  const { config, entry } = at;
  let parsed;
  try {
    parsed = parseSpecifier(entry.use as string, config.dir, config.config.allowHttpHosts);
  } catch (error) {
    throw loadError(at, (error as Error).message);
  }
  switch (parsed.kind) {
    case "file":
      // Existence is checked only when the import fails: a stat per plugin would slow every start.
      if (entry.integrity) {
        await verifyFile(parsed.path, entry.integrity).catch((e) => {
          throw loadError(at, e.message, e);
        });
      }
      return { parsed, url: parsed.url };
    case "npm":
      return await resolveNpmEntry(at, parsed);
    case "jsr":
    case "url":
      return await resolveRemoteEntry(at, parsed, remote);
  }
}

async function resolveNpmEntry(
  at: EntryContext,
  parsed: ParsedSpecifier & { kind: "npm" },
): Promise<ResolvedEntry> {
  try {
    const { resolveNpm } = await import("./npm.ts");
    const pkg = await resolveNpm(parsed, at.config.dir);
    if (at.entry.integrity) await verifyFile(filePath(pkg.url), at.entry.integrity);
    return { parsed, url: pkg.url, version: pkg.version };
  } catch (error) {
    // "plugins/x.ts" reads as a package name; say so when such a file exists.
    const asPath = resolve(at.config.dir, at.specifier);
    const isFile = await host.kindOf(asPath).then((kind) => kind === "file", () => false);
    const hint = isFile ? `; to load the file "${asPath}", write "./${at.specifier}"` : "";
    throw loadError(at, `${(error as Error).message}${hint}`, error);
  }
}

async function resolveRemoteEntry(
  at: EntryContext,
  parsed: ParsedSpecifier & { kind: "jsr" | "url" },
  remote: PreparedRemote | undefined,
): Promise<ResolvedEntry> {
  const url = parsed.kind === "url" ? parsed.url : parsed.specifier;
  const linked = remote?.linked?.plugins.get(url);
  if (linked !== undefined && "error" in linked) throw loadError(at, linked.error.message, linked.error);
  if (host.importsRemote && at.entry.integrity) {
    // The runtime imports natively; check the SRI hash with our own (cached, lockless) fetch first. No
    // lock: the config's may not be the one the runtime uses, and its pins could pick another version.
    try {
      const { RemoteResolver } = await import("./remote/resolver.ts");
      const resolver = new RemoteResolver({ ...remote!.settings, lockPath: undefined, frozen: false });
      const final = parsed.kind === "url" ? await resolver.resolveUrl(url) : await resolver.resolveJsr(url);
      await resolver.fetchVerified(final); // resolving bound the entry's hash to what it resolved to
    } catch (error) {
      throw loadError(at, (error as Error).message, error);
    }
  }
  return { parsed, url, importUrl: linked?.importUrl };
}

async function verifyFile(path: string, sri: string): Promise<void> {
  await verifySri(await host.readFile(path), sri, { name: path, kind: "file" });
}
