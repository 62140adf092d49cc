/**
 * Remote plugins for Node, which imports neither `jsr:` nor `https:`: resolves
 * `jsr:` requirements through the registry API (as Deno does), fetches and caches
 * modules, checks them against the lockfile, the JSR manifest and SRI hashes, and
 * turns TypeScript into JavaScript. The Node loader hooks are a thin adapter over
 * this class; it knows nothing of them, so that tests can drive it directly.
 *
 * @module
 */
import { DiskCache, fetchSource, type RemoteSource, sha256Hex } from "./fetcher.ts";
import { loadSemver, Lockfile, normaliseRange, simpleRangeKey } from "./lockfile.ts";
import { verifySri } from "../sri.ts";

/** How remote loading behaves for one config. */
export interface RemoteSettings {
  /** Folder for fetched modules. */
  readonly cacheDir: string;
  /** The lockfile (Deno's format), or undefined for none. */
  readonly lockPath: string | undefined;
  /** Refuse anything not already in the lock. */
  readonly frozen: boolean;
  /** The JSR registry; default `https://jsr.io`, or the `JSR_URL` variable. */
  readonly jsrUrl: string;
  /** Hosts that may serve plain `http:` besides loopback ones. */
  readonly allowHttpHosts: readonly string[];
  /** SRI hashes that entry modules must match, keyed by specifier as written or by URL. */
  readonly integrity: Readonly<Record<string, string>>;
}

/** A module ready for the runtime. */
export interface LoadedSource {
  /** JavaScript (TypeScript already transpiled), or JSON text. */
  readonly source: string;
  /** How to evaluate it. */
  readonly format: "module" | "json";
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Resolves, fetches and verifies remote modules for one set of settings. */
export class RemoteResolver {
  /** How remote loading behaves for this config. */
  readonly settings: RemoteSettings;
  /** The disk cache of fetched modules. */
  readonly cache: DiskCache;
  /** The JSR registry's base URL, without a trailing slash. */
  readonly jsrUrl: string;
  private lock: Promise<Lockfile | undefined>;
  /** JSR manifests by package version base URL (`.../@a/b/1.2.0/`). */
  private readonly manifests = new Map<string, Record<string, { checksum: string }>>();
  /**
   * SRI hashes by URL: a config entry's hash binds the module it resolves to,
   * wherever that module is imported (known from the start for URL entries, once
   * resolved for redirects and jsr: entries).
   */
  private readonly integrity = new Map<string, Set<string>>();
  /** The modules verified so far: for hashes bound to them afterwards, and redirects found to them. */
  private readonly verifiedSources = new Map<string, RemoteSource>();
  /** Responses fetched to find where a URL leads, by final URL: cached only once verified. */
  private readonly fetched = new Map<string, RemoteSource>();
  /** Redirects ([from, to], each hop) that led to a final URL: locked and cached once it is verified. */
  private readonly pendingRedirects = new Map<string, (readonly [string, string])[]>();

  /**
   * A resolver for one config's remote settings.
   *
   * @param settings Cache, lock, registry, policy and SRI hashes.
   */
  constructor(settings: RemoteSettings) {
    this.settings = settings;
    this.cache = new DiskCache(settings.cacheDir);
    this.jsrUrl = settings.jsrUrl.replace(/\/+$/, "");
    this.lock = settings.lockPath ? Lockfile.read(settings.lockPath) : Promise.resolve(undefined);
    for (const [key, sri] of Object.entries(settings.integrity)) {
      if (/^https?:/.test(key)) this.hashesOf(key).add(sri);
    }
  }

  /**
   * Resolves `jsr:@scope/name[@range][/subpath]` to the module's URL on the registry.
   *
   * @param specifier The `jsr:` specifier.
   * @returns The URL of the file the package exports.
   */
  async resolveJsr(specifier: string, parentUrl?: string): Promise<string> {
    const match = /^jsr:\/?(@[^/@]+\/[^/@]+)(?:@([^/]+))?(?:\/(.+))?$/.exec(specifier);
    if (!match) {
      throw new Error(
        `"${specifier}" is not a valid jsr: specifier; write jsr:@scope/name[@range][/subpath]`,
      );
    }
    const [, name, range, subpath] = match;
    if (
      range !== undefined && simpleRangeKey(range) === undefined &&
      (await loadSemver()).validRange(range) === null
    ) {
      throw new Error(`"${range}" in "${specifier}" is not a valid version range`);
    }
    const lock = await this.lock;
    const key = `jsr:${name}@${await normaliseRange(range)}`;
    let version = lock?.specifier(key);
    const pinned = version !== undefined;
    if (version === undefined) {
      this.refuseIfFrozen(key);
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
    const base = `${this.jsrUrl}/${name}/${version}/`;
    this.manifests.set(base, meta.manifest ?? {});
    // A package importing another: the lock lists the dependency under the importer, as Deno's does.
    const importer = parentUrl === undefined ? undefined : this.packageOf(parentUrl);
    if (importer !== undefined) lock?.addJsrDependency(importer, `jsr:${name}`);
    const url = new URL(target.replace(/^\.?\//, ""), base).href;
    const sri = this.settings.integrity[specifier];
    if (sri !== undefined) await this.attachIntegrity(url, sri);
    return url;
  }

  /**
   * Resolves a specifier written inside a remote module, or returns undefined when
   * it is not the resolver's business (bare and `npm:` names go to node_modules).
   *
   * @param specifier As written in the import.
   * @param parentUrl The importing module's URL.
   * @returns The absolute URL, or undefined.
   */
  resolveRelative(specifier: string, parentUrl: string): string | undefined {
    if (!/^(\.{0,2}\/)/.test(specifier)) return undefined;
    return this.checkUrl(new URL(specifier, parentUrl).href);
  }

  /**
   * Where a remote URL really is, after same-origin redirects, so that relative
   * imports resolve against the final location (as on Deno). Answered from the lock
   * (`redirects`) or the cache when possible; otherwise fetches and caches the module.
   *
   * @param url An absolute http(s) URL.
   * @returns The final URL.
   */
  async resolveUrl(url: string): Promise<string> {
    this.checkUrl(url);
    if ([...this.manifests.keys()].some((base) => url.startsWith(base))) return url;
    const lock = await this.lock;
    // The lock keeps each hop, as Deno writes it: follow them to the end, under the
    // rules a fetch follows (same origin, at most 5 hops, no loop).
    let locked = url;
    const seen = new Set([url]);
    for (let next = lock?.redirect(locked); next !== undefined; next = lock?.redirect(locked)) {
      this.checkUrl(next);
      if (seen.has(next) || seen.size > 5 || new URL(next).origin !== new URL(locked).origin) {
        throw new Error(
          `the lockfile ${lock!.path} redirects ${url} ${
            seen.has(next) ? "in a loop" : seen.size > 5 ? "more than 5 times" : `to another host (${next})`
          }; delete its "redirects" entries for it and load again`,
        );
      }
      seen.add(next);
      locked = next;
    }
    if (locked !== url) return await this.redirected(url, locked);
    const cached = await this.cache.get(url);
    if (cached !== undefined) return await this.redirected(url, cached.url);
    if (lock?.remote(url) === undefined) this.refuseIfFrozen(url);
    const source = await fetchSource(url);
    const redirects = source.redirects ?? [];
    if (this.verifiedSources.has(source.url)) {
      // Checked against an entry's SRI hash first, if it has one: a refused entry leaves no redirect behind.
      const final = await this.redirected(url, source.url);
      await this.remember(redirects, final, lock);
      return final;
    }
    // Kept in memory until load() verifies it: neither the lock nor the cache keeps a response that fails.
    this.fetched.set(source.url, source);
    if (redirects.length > 0) {
      this.pendingRedirects.set(source.url, [...this.pendingRedirects.get(source.url) ?? [], ...redirects]);
    }
    return await this.redirected(url, source.url);
  }

  /** Locks and caches redirects (each hop) to `final`, a verified module. */
  private async remember(
    redirects: readonly (readonly [string, string])[],
    final: string,
    lock: Lockfile | undefined,
  ): Promise<void> {
    if (redirects.length === 0) return;
    // The cache answers a redirecting URL with the verified module (its url field is the final URL).
    const verified = this.verifiedSources.get(final);
    for (const [from, to] of redirects) {
      lock?.setRedirect(from, to);
      if (verified !== undefined) await this.cache.put(from, verified);
    }
    await lock?.save();
  }

  /** `to`, where `from` redirects: an SRI hash given for `from` binds what `to` serves. */
  private async redirected(from: string, to: string): Promise<string> {
    if (to === from) return to;
    for (const sri of this.integrity.get(from) ?? []) await this.attachIntegrity(to, sri);
    return to;
  }

  /** The SRI hashes bound to `url`: every one must match (several entries may lead to one module). */
  private hashesOf(url: string): Set<string> {
    let hashes = this.integrity.get(url);
    if (hashes === undefined) this.integrity.set(url, hashes = new Set());
    return hashes;
  }

  /**
   * Binds `url` to an SRI hash. A module not verified yet is checked against it
   * with everything else (nothing refused is locked or cached); one verified
   * already (another entry's, or an import) is checked now, and only the entry
   * that brought the hash is refused.
   */
  private async attachIntegrity(url: string, sri: string): Promise<void> {
    const verified = this.verifiedSources.get(url);
    // Already verified: only the entry that brought a wrong hash is refused, the module stays good.
    if (verified !== undefined) await verifySri(url, "module", verified.body, sri);
    else this.hashesOf(url).add(sri);
  }

  /**
   * Checks that a URL may be loaded: `https:`, or `http:` to a loopback or allowed host.
   *
   * @param url An absolute URL.
   * @returns The URL.
   * @throws {Error} For a refused scheme or host.
   */
  checkUrl(url: string): string {
    const parsed = new URL(url);
    if (parsed.protocol === "https:") return url;
    if (parsed.protocol === "http:") {
      if (LOOPBACK.test(parsed.hostname) || this.settings.allowHttpHosts.includes(parsed.hostname)) {
        return url;
      }
      throw new Error(
        `plain http: is refused for host "${parsed.hostname}" (${url}); use https:, or add "${parsed.hostname}" to allowHttpHosts`,
      );
    }
    throw new Error(`cannot load ${url}: only https: and loopback http: URLs are loaded remotely`);
  }

  /**
   * Fetches (or reads from the cache) and verifies a module, and makes it ready to run.
   *
   * @param url The module's URL.
   * @returns JavaScript or JSON text.
   */
  async load(url: string): Promise<LoadedSource> {
    const source = await this.fetchVerified(url);
    // Transpiled TypeScript is cached by the source's hash: a cached run needs no esbuild.
    const key = `transpiled:esnext-1:${sha256Hex(source.body)}`;
    const done = await this.cache.get(key);
    if (done !== undefined) return { source: new TextDecoder().decode(done.body), format: "module" };
    const prepared = await prepare(url, source);
    if (prepared.compiled) {
      await this.cache.put(key, {
        url,
        body: new TextEncoder().encode(prepared.source),
        contentType: "text/javascript",
      });
    }
    return { source: prepared.source, format: prepared.format };
  }

  /**
   * Fetches (or reads from the cache) a module and checks it against the JSR
   * manifest or the lockfile and its SRI hash, without preparing it to run.
   *
   * @param url The module's URL.
   * @returns The verified source.
   */
  async fetchVerified(url: string): Promise<RemoteSource> {
    const lock = await this.lock;
    const base = [...this.manifests.keys()].find((b) => url.startsWith(b));
    let source = this.fetched.get(url);
    this.fetched.delete(url);
    // An entry under this URL that names another is a redirect remembered, not this module.
    const entry = source === undefined ? await this.cache.get(url) : undefined;
    const cached = entry?.url === url ? entry : undefined;
    source ??= cached;
    if (base === undefined && lock?.remote(url) === undefined) this.refuseIfFrozen(url);
    if (source === undefined) {
      source = await fetchSource(url);
      if (source.url !== url) {
        // resolveUrl() gave this URL as final: a redirect now means the server moved it since.
        throw new Error(
          `${url} now redirects to ${source.url}; delete its entries from the lockfile and the cache folder ` +
            `${this.settings.cacheDir} if the move is expected, and load again`,
        );
      }
    }
    const checked = new Set(this.integrity.get(url));
    let problem = await this.problemWith(url, source, base, lock);
    if (problem !== undefined && cached !== undefined) {
      // The cached copy may be older than the lock (a lock updated elsewhere): ask the network once,
      // and take its answer only if it passes every check.
      const fresh = await fetchSource(url).catch(() => undefined);
      if (fresh?.url === url && await this.problemWith(url, fresh, base, lock) === undefined) {
        source = fresh;
        problem = undefined;
      }
    }
    // SRI hashes bound while this module was being checked (an entry resolved meanwhile) are
    // checked too, until none is left; then, with no await in between, the module is marked
    // verified, so that attachIntegrity() checks any later one itself.
    for (;;) {
      if (problem !== undefined) {
        this.pendingRedirects.delete(url);
        throw problem;
      }
      const late = [...this.integrity.get(url) ?? []].filter((sri) => !checked.has(sri));
      if (late.length === 0) break;
      for (const sri of late) {
        checked.add(sri);
        problem ??= await verifySri(url, "module", source.body, sri).then(() => undefined, (error) => error);
      }
    }
    this.verifiedSources.set(url, source);
    const redirects = this.pendingRedirects.get(url) ?? [];
    this.pendingRedirects.delete(url);
    // Verified: only now into the lock and the cache, with the redirects that led here.
    if (base === undefined && lock !== undefined && lock.remote(url) === undefined) {
      lock.setRemote(url, sha256Hex(source.body));
    }
    if (source !== cached) await this.cache.put(url, source);
    await this.remember(redirects, url, lock);
    await lock?.save();
    return source;
  }

  /**
   * Why `source` may not run as `url`: not a module type, not what the JSR
   * manifest or the lockfile says, or not its SRI hash; undefined when it passes.
   */
  private async problemWith(
    url: string,
    source: RemoteSource,
    base: string | undefined,
    lock: Lockfile | undefined,
  ): Promise<Error | undefined> {
    try {
      moduleKind(url, source);
      for (const sri of this.integrity.get(url) ?? []) await verifySri(url, "module", source.body, sri);
    } catch (error) {
      return error as Error;
    }
    return this.mismatch(url, source, base, lock);
  }

  /** Why `source` is not what the JSR manifest or the lockfile says `url` is, if it is not. */
  private mismatch(url: string, source: RemoteSource, base: string | undefined, lock: Lockfile | undefined) {
    const hash = sha256Hex(source.body);
    if (base !== undefined) {
      const path = `/${url.slice(base.length)}`;
      const entry = this.manifests.get(base)![path];
      if (entry === undefined) return new Error(`${url} is not in the package's manifest`);
      if (entry.checksum !== `sha256-${hash}`) {
        return new Error(
          `checksum mismatch for ${url}: the package manifest says ${entry.checksum}, the file is sha256-${hash}; ` +
            `the registry or the cache was tampered with`,
        );
      }
    } else {
      const expected = lock?.remote(url);
      if (expected !== undefined && expected !== hash) {
        return new Error(
          `integrity check failed for ${url}: the lockfile ${
            lock!.path
          } has ${expected}, the module is ${hash}; ` +
            `if the change is expected, delete that entry from the lockfile and load again`,
        );
      }
    }
    return undefined;
  }

  /** Writes the lock if it changed. */
  async save(): Promise<void> {
    await (await this.lock)?.save();
  }

  /**
   * The lockfile's text as this resolver read or wrote it, when no other process
   * wrote it in between (see {@linkcode Lockfile.ownText}); undefined without a lock.
   */
  async lockText(): Promise<string | null | undefined> {
    return (await this.lock)?.ownText;
  }

  /** The newest unyanked version of a JSR package that satisfies the range. */
  private async pickVersion(name: string, range: string | undefined): Promise<string> {
    const url = `${this.jsrUrl}/${name}/meta.json`;
    const source = await fetchSource(url);
    let meta: { versions?: Record<string, { yanked?: boolean }> };
    try {
      meta = JSON.parse(new TextDecoder().decode(source.body));
    } catch {
      throw new Error(`${url} did not answer JSON; is ${this.jsrUrl} a JSR registry? (set JSR_URL)`);
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

  /** A JSR version's metadata: exports and the manifest of checksums. */
  private async versionMeta(
    name: string,
    version: string,
  ): Promise<{ exports?: Record<string, string>; manifest?: Record<string, { checksum: string }> }> {
    const url = `${this.jsrUrl}/${name}/${version}_meta.json`;
    const lock = await this.lock;
    const key = `${name}@${version}`;
    const expected = lock?.jsrIntegrity(key);
    if (expected === undefined) this.refuseIfFrozen(key);
    const cached = await this.cache.get(url);
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
      throw new Error(
        `${url} is not JSON metadata (an object); is ${this.jsrUrl} a JSR registry? (set JSR_URL)`,
      );
    }
    if (expected === undefined) lock?.setJsrIntegrity(key, hash);
    if (cached === undefined) await this.cache.put(url, source);
    return meta;
  }

  /** The `@scope/name@version` whose files `url` belongs to, if it is a JSR file. */
  private packageOf(url: string): string | undefined {
    const base = [...this.manifests.keys()].find((b) => url.startsWith(b));
    if (base === undefined) return undefined;
    const [scope, name, version] = base.slice(this.jsrUrl.length + 1).split("/");
    return `${scope}/${name}@${version}`;
  }

  /** Throws in frozen mode: `what` is not in the lock. */
  private refuseIfFrozen(what: string): void {
    if (this.settings.frozen) {
      throw new Error(
        `${what} is not in the lockfile ${this.settings.lockPath ?? "(none configured)"}, which is frozen; ` +
          `run "bernstein cache" or load once with frozen off to add it`,
      );
    }
  }
}

const TS_TYPES = new Set([
  "application/typescript",
  "text/typescript",
  "application/x-typescript",
  "video/vnd.dlna.mpeg-tts",
  "video/mp2t",
  "text/tsx",
  "application/x-tsx",
]);
const JS_TYPES = new Set([
  "application/javascript",
  "text/javascript",
  "application/ecmascript",
  "text/ecmascript",
  "application/x-javascript",
  "application/node",
  "text/jsx",
]);
const BY_EXTENSION = new Set(["", "text/plain", "application/octet-stream"]);

/**
 * What kind of module a response is, from its content type (and, for generic
 * types, the URL's extension).
 *
 * @throws {Error} For a type that is not a module's, naming the URL and the type.
 */
function moduleKind(url: string, source: RemoteSource): "ts" | "tsx" | "js" | "jsx" | "json" {
  const extension = /\.([a-z]+)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase() ?? "";
  let kind: "ts" | "tsx" | "js" | "jsx" | "json" | undefined;
  if (TS_TYPES.has(source.contentType)) {
    kind = extension === "tsx" || source.contentType.endsWith("tsx") ? "tsx" : "ts";
  } else if (JS_TYPES.has(source.contentType)) {
    kind = extension === "jsx" || source.contentType === "text/jsx" ? "jsx" : "js";
  } else if (source.contentType === "application/json" || source.contentType === "text/json") kind = "json";
  else if (BY_EXTENSION.has(source.contentType)) {
    kind = ({ ts: "ts", mts: "ts", tsx: "tsx", js: "js", mjs: "js", jsx: "jsx", json: "json" } as const)[
      extension as "ts"
    ];
  }
  if (kind === undefined) {
    throw new Error(
      `${url} was served as "${source.contentType || "no content type"}", which is not a module type; ` +
        `serve TypeScript as application/typescript or JavaScript as text/javascript`,
    );
  }
  return kind;
}

/** Makes a verified response ready to run: JSON or JavaScript as is, TypeScript compiled. */
async function prepare(url: string, source: RemoteSource): Promise<LoadedSource & { compiled?: boolean }> {
  const text = new TextDecoder().decode(source.body);
  const kind = moduleKind(url, source);
  if (kind === "json") return { source: text, format: "json" };
  if (kind === "js") return { source: text, format: "module" };
  const { transform } = await import("esbuild");
  try {
    const result = await transform(text, {
      loader: kind,
      format: "esm",
      target: "esnext", // keeps import attributes such as with { type: "json" }
      sourcefile: url,
      sourcemap: "inline",
    });
    return { source: result.code, format: "module", compiled: true };
  } catch (error) {
    throw new Error(`cannot compile ${url}: ${(error as Error).message.split("\n").slice(0, 2).join(" ")}`);
  }
}
