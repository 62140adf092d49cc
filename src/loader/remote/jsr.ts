/**
 * The JSR registry client: `jsr:` requirements resolved as Deno resolves them,
 * through the registry's `meta.json` (versions) and `<version>_meta.json`
 * (exports and the manifest of checksums), with versions pinned and metadata
 * hashed in the lockfile.
 *
 * @module
 */
import { parseJsr } from "../specifier.ts";
import { type DiskCache, sha256Hex } from "./cache.ts";
import { fetchSource } from "./fetch.ts";
import { loadSemver, type Lockfile, normaliseRange, simpleRangeKey } from "./lockfile.ts";

/** A JSR version's metadata: what it exports and the checksum of each file. */
interface VersionMeta {
  readonly exports?: Record<string, string>;
  readonly manifest?: Record<string, { checksum: string }>;
}

/** What a {@linkcode JsrRegistry} works with: the resolver's cache, lock and frozen rule. */
export interface JsrContext {
  /** The registry's base URL, without a trailing slash. */
  readonly jsrUrl: string;
  /** The disk cache for version metadata. */
  readonly cache: DiskCache;
  /** The lock, once read (undefined: none). */
  readonly lock: Promise<Lockfile | undefined>;
  /** Throws in frozen mode: `what` is not in the lock. */
  readonly refuseIfFrozen: (what: string) => void;
}

/** Resolves `jsr:` specifiers against one registry, and knows which URLs are its packages' files. */
export class JsrRegistry {
  private readonly context: JsrContext;
  /** JSR manifests by package version base URL (`.../@a/b/1.2.0/`). */
  private readonly manifests = new Map<string, Record<string, { checksum: string }>>();

  /**
   * A client for one registry.
   *
   * @param context Registry URL, cache, lock and the frozen rule.
   */
  constructor(context: JsrContext) {
    this.context = context;
  }

  /**
   * Resolves `jsr:@scope/name[@range][/subpath]` to the module's URL on the registry.
   *
   * @param specifier The `jsr:` specifier.
   * @param parentUrl The importing module's URL, when a module imports it.
   * @returns The URL of the file the package exports.
   * @throws {Error} For a malformed specifier or range, no matching version, or a refused lock entry.
   */
  async resolve(specifier: string, parentUrl?: string): Promise<string> {
    const { name, range, subpath } = parseJsr(specifier);
    if (
      range !== undefined && simpleRangeKey(range) === undefined &&
      (await loadSemver()).validRange(range) === null
    ) {
      throw new Error(`"${range}" in "${specifier}" is not a valid version range`);
    }
    const lock = await this.context.lock;
    const key = `jsr:${name}@${await normaliseRange(range)}`;
    let version = lock?.specifier(key);
    const pinned = version !== undefined;
    if (version === undefined) {
      this.context.refuseIfFrozen(key);
      version = await this.pickVersion(name, range);
    }
    const meta = await this.versionMeta(name, version);
    // Pinned only once its metadata passed: a failure leaves nothing behind in the lock.
    if (!pinned) lock?.setSpecifier(key, version);
    const exportKey = subpath ? `./${subpath}` : ".";
    const target = meta.exports?.[exportKey];
    if (typeof target !== "string") {
      const known = Object.keys(meta.exports ?? {}).join(", ") || "nothing";
      throw new Error(`${name}@${version} does not export "${exportKey}"; it exports ${known}`);
    }
    const base = `${this.context.jsrUrl}/${name}/${version}/`;
    this.manifests.set(base, meta.manifest ?? {});
    // A package importing another: the lock lists the dependency under the importer, as Deno's does.
    const importer = parentUrl === undefined ? undefined : this.packageOf(parentUrl);
    if (importer !== undefined) lock?.addJsrDependency(importer, `jsr:${name}`);
    return new URL(target.replace(/^\.?\//, ""), base).href;
  }

  /**
   * The base URL (`.../@a/b/1.2.0/`) of the resolved package version `url` is a file of.
   *
   * @param url A module URL.
   * @returns The base, or undefined when `url` is no file of a package resolved so far.
   */
  baseOf(url: string): string | undefined {
    return [...this.manifests.keys()].find((base) => url.startsWith(base));
  }

  /**
   * The manifest's entry for a file of a resolved package version.
   *
   * @param base The version's base URL, from {@linkcode JsrRegistry.baseOf}.
   * @param url The file's URL.
   * @returns The entry, or undefined when the manifest does not list the file.
   */
  manifestEntry(base: string, url: string): { checksum: string } | undefined {
    return this.manifests.get(base)?.[`/${url.slice(base.length)}`];
  }

  /** The `@scope/name@version` whose files `url` belongs to, if it is a JSR file. */
  private packageOf(url: string): string | undefined {
    const base = this.baseOf(url);
    if (base === undefined) return undefined;
    const [scope, name, version] = base.slice(this.context.jsrUrl.length + 1).split("/");
    return `${scope}/${name}@${version}`;
  }

  /** The newest unyanked version of a JSR package that satisfies the range. */
  private async pickVersion(name: string, range: string | undefined): Promise<string> {
    const { jsrUrl } = this.context;
    const url = `${jsrUrl}/${name}/meta.json`;
    const source = await fetchSource(url);
    let meta: { versions?: Record<string, { yanked?: boolean }> };
    try {
      meta = JSON.parse(new TextDecoder().decode(source.body));
    } catch {
      throw new Error(`${url} did not answer JSON; is ${jsrUrl} a JSR registry? (set JSR_URL)`);
    }
    const versions = Object.entries(meta.versions ?? {}).filter(([, info]) => !info?.yanked).map(([v]) => v);
    const version = (await loadSemver()).maxSatisfying(versions, range ?? "*");
    if (version === null) {
      throw new Error(
        `no version of ${name} satisfies ${range ?? "*"}; the registry has ${
          versions.join(", ") || "none"
        } (yanked versions excluded)`,
      );
    }
    return version;
  }

  /** A JSR version's metadata, checked against the lock's hash of it; locked and cached once it parses. */
  private async versionMeta(name: string, version: string): Promise<VersionMeta> {
    const { jsrUrl, cache } = this.context;
    const url = `${jsrUrl}/${name}/${version}_meta.json`;
    const lock = await this.context.lock;
    const key = `${name}@${version}`;
    const expected = lock?.jsrIntegrity(key);
    if (expected === undefined) this.context.refuseIfFrozen(key);
    const cached = await cache.get(url);
    const source = cached ?? await fetchSource(url);
    const hash = sha256Hex(source.body);
    if (expected !== undefined && expected !== hash) {
      throw new Error(
        `integrity check failed for ${url}: the lockfile ${
          lock!.path
        } has ${expected}, the registry sent ${hash}; ` +
          `if the change is expected, delete "${key}" from the lockfile's jsr section and load again`,
      );
    }
    let meta;
    try {
      meta = JSON.parse(new TextDecoder().decode(source.body));
    } catch {
      // Neither locked nor cached: a later run asks again.
    }
    if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
      throw new Error(`${url} is not JSON metadata (an object); is ${jsrUrl} a JSR registry? (set JSR_URL)`);
    }
    if (expected === undefined) lock?.setJsrIntegrity(key, hash);
    if (cached === undefined) await cache.put(url, source);
    return meta;
  }
}
