/**
 * Remote plugins for Node, which imports neither `jsr:` nor `https:`: the
 * resolver ties together what Deno's module loader does, each in its own module:
 * the URL policy (`policy.ts`), fetching (`fetch.ts`), the disk cache
 * (`cache.ts`), the lockfile (`lockfile.ts`), the JSR registry (`jsr.ts`),
 * verification (`verify.ts`) and transpiling (`transpile.ts`). It owns the state
 * that must change without an await in between to stay race-free: which SRI hashes
 * bind which module, what has been verified, and which responses and redirects
 * wait for verification before the lock and the cache may keep them. The module
 * graph walk (`graph.ts`), the linker (`link.ts`) and the Node loader hooks
 * (`node/`) drive it; it knows nothing of them, so that tests can drive it directly.
 *
 * @module
 */
import { DiskCache, sha256Hex } from "./cache.ts";
import { fetchSource, type RemoteSource } from "./fetch.ts";
import { JsrRegistry } from "./jsr.ts";
import { Lockfile } from "./lockfile.ts";
import { checkRemoteUrl, MAX_REDIRECTS } from "./policy.ts";
import { type LoadedSource, transpileModule } from "./transpile.ts";
import { lockProblem, manifestProblem, moduleKind, verifySri } from "./verify.ts";

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

/** What a module is checked against: its JSR package version's base URL (if any) and the lock. */
interface Known {
  readonly base: string | undefined;
  readonly lock: Lockfile | undefined;
}

/** Resolves, fetches and verifies remote modules for one set of settings. */
export class RemoteResolver {
  /** How remote loading behaves for this config. */
  readonly settings: RemoteSettings;
  /** The disk cache of fetched modules. */
  readonly cache: DiskCache;
  /** The JSR registry's base URL, without a trailing slash. */
  readonly jsrUrl: string;
  private lock: Promise<Lockfile | undefined>;
  /** The JSR registry, which also knows the manifests of the package versions resolved so far. */
  private readonly jsr: JsrRegistry;
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
    this.jsr = new JsrRegistry({
      jsrUrl: this.jsrUrl,
      cache: this.cache,
      lock: this.lock,
      refuseIfFrozen: (what) => this.refuseIfFrozen(what),
    });
    for (const [key, sri] of Object.entries(settings.integrity)) {
      if (/^https?:/.test(key)) this.hashesOf(key).add(sri);
    }
  }

  /**
   * Resolves `jsr:@scope/name[@range][/subpath]` to the module's URL on the registry.
   *
   * @param specifier The `jsr:` specifier.
   * @param parentUrl The importing module's URL, when a module imports it.
   * @returns The URL of the file the package exports.
   */
  async resolveJsr(specifier: string, parentUrl?: string): Promise<string> {
    const url = await this.jsr.resolve(specifier, parentUrl);
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
    if (this.jsr.baseOf(url) !== undefined) return url;
    const lock = await this.lock;
    // The lock keeps each hop, as Deno writes it: follow them to the end, under the
    // rules a fetch follows (same origin, at most 5 hops, no loop).
    let locked = url;
    const seen = new Set([url]);
    for (let next = lock?.redirect(locked); next !== undefined; next = lock?.redirect(locked)) {
      this.checkUrl(next);
      if (seen.has(next) || seen.size > MAX_REDIRECTS || new URL(next).origin !== new URL(locked).origin) {
        throw new Error(
          `the lockfile ${lock!.path} redirects ${url} ${
            seen.has(next)
              ? "in a loop"
              : seen.size > MAX_REDIRECTS
              ? `more than ${MAX_REDIRECTS} times`
              : `to another host (${next})`
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
    if (verified !== undefined) await verifySri(verified.body, sri, { name: url, kind: "module" });
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
    return checkRemoteUrl(url, this.settings.allowHttpHosts);
  }

  /**
   * Fetches (or reads from the cache) and verifies a module, and makes it ready to run.
   *
   * @param url The module's URL.
   * @returns JavaScript or JSON text.
   */
  async load(url: string): Promise<LoadedSource> {
    return transpileModule(url, await this.fetchVerified(url));
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
    const base = this.jsr.baseOf(url);
    const known = { base, lock };
    const { source: found, cached } = await this.sourceOf(url, known);
    let source = found;
    const checked = new Set(this.integrity.get(url));
    let problem = await this.problemWith(url, source, known);
    if (problem !== undefined && cached !== undefined) {
      // The cached copy may be older than the lock (a lock updated elsewhere): ask the network once,
      // and take its answer only if it passes every check.
      const fresh = await fetchSource(url).catch(() => undefined);
      if (fresh?.url === url && await this.problemWith(url, fresh, known) === undefined) {
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
        problem ??= await verifySri(source.body, sri, { name: url, kind: "module" }).then(
          () => undefined,
          (error) => error,
        );
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
   * The module at `url`: the response resolveUrl() fetched, else the cache's copy
   * (`cached`), else a fetch; refused in frozen mode when the lock does not know it.
   */
  private async sourceOf(
    url: string,
    known: Known,
  ): Promise<{ source: RemoteSource; cached?: RemoteSource }> {
    // Taken before any await: a response resolveUrl() fetched is used once.
    const fetched = this.fetched.get(url);
    this.fetched.delete(url);
    // An entry under this URL that names another is a redirect remembered, not this module.
    const entry = fetched === undefined ? await this.cache.get(url) : undefined;
    const cached = entry?.url === url ? entry : undefined;
    if (known.base === undefined && known.lock?.remote(url) === undefined) this.refuseIfFrozen(url);
    if (fetched !== undefined || cached !== undefined) return { source: (fetched ?? cached)!, cached };
    const source = await fetchSource(url);
    if (source.url !== url) {
      // resolveUrl() gave this URL as final: a redirect now means the server moved it since.
      throw new Error(
        `${url} now redirects to ${source.url}; delete its entries from the lockfile and the cache folder ` +
          `${this.settings.cacheDir} if the move is expected, and load again`,
      );
    }
    return { source };
  }

  /**
   * Why `source` may not run as `url`: not a module type, not what the JSR
   * manifest or the lockfile says, or not its SRI hash; undefined when it passes.
   */
  private async problemWith(url: string, source: RemoteSource, known: Known): Promise<Error | undefined> {
    try {
      moduleKind(url, source);
      for (const sri of this.integrity.get(url) ?? []) {
        await verifySri(source.body, sri, { name: url, kind: "module" });
      }
    } catch (error) {
      return error as Error;
    }
    return this.mismatch(url, source, known);
  }

  /** Why `source` is not what the JSR manifest or the lockfile says `url` is, if it is not. */
  private mismatch(url: string, source: RemoteSource, { base, lock }: Known): Error | undefined {
    const hash = sha256Hex(source.body);
    if (base !== undefined) return manifestProblem(url, this.jsr.manifestEntry(base, url), hash);
    return lock === undefined
      ? undefined
      : lockProblem(url, { path: lock.path, expected: lock.remote(url) }, hash);
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
