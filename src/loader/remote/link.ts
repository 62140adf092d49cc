/**
 * Remote plugins on Node without loader hooks. Node 20 runs loader hooks in a
 * separate thread, two round trips per module; a cached run of 21 remote plugins
 * spent most of its time there. Instead, the main thread resolves and verifies
 * each remote module graph (the same {@linkcode RemoteResolver} the hooks use),
 * writes every module as a plain file under `<cacheDir>/linked/` with its imports
 * pointing at the other files, and Node imports those natively. Each file starts
 * by setting `import.meta.url` to the module's remote URL, as Deno and the hooks
 * report it.
 *
 * An index of what was linked, keyed by the config's remote entries and settings
 * and tied to the lockfile's exact content, lets the next start skip resolving
 * altogether: with the same lock, every version, redirect and hash is the same.
 * Like the transpiled forms in the cache, the linked files are trusted once
 * written; the lock guards what comes over the network.
 *
 * Graphs the files cannot express fall back to the hooks, for the whole config
 * (a module must not load twice by two routes): bare and `npm:` imports (they
 * resolve from node_modules, which changes without the lock), dynamic `import()`,
 * `import.meta.resolve`, and import cycles.
 *
 * @module
 */
import { fileUrl, nodeBuiltin } from "../../runtime/mod.ts";
import type { RemoteResolver, RemoteSettings } from "./resolver.ts";

// Built-ins without a static import: on a cached start, each one would cost a round
// trip to Node's loader thread, and this module is on that path. Set on first use.
let fs: typeof import("node:fs");

/** A remote plugin ready to import. */
export interface LinkedPlugin {
  /** The module's remote URL (what the report names). */
  readonly url: string;
  /** The `file:` URL to import. */
  readonly importUrl: string;
}

/** What linking did for one entry: a plugin to import, or why it cannot load. */
export type LinkOutcome = LinkedPlugin | { readonly error: Error };

/** Bump when the linked files' form changes: it is part of every index key. */
const FORMAT = "linked-1";

/** Raised for a module the files cannot express; the caller then uses the loader hooks. */
class Unlinkable extends Error {}

/** One module, loaded and verified, with its imports resolved to remote URLs. */
interface ModuleNode {
  readonly url: string;
  readonly source: string;
  readonly format: "module" | "json";
  /** Specifier positions in `source` and the remote URL each resolves to. */
  readonly imports: readonly { start: number; end: number; target: string }[];
}

/** The index file: which linked file each entry starts from, valid for one lock. */
interface LinkIndex {
  /** What was linked, with which settings: compared in full (the file name is a short hash of it). */
  readonly key: string;
  /** The lockfile's text when linking ended (compared in full: no hash to compute on start-up). */
  readonly lock: string | null;
  readonly plugins: Record<string, LinkedPlugin>;
  readonly files: readonly string[];
}

/**
 * Links the remote plugins of a config for Node.
 *
 * @param settings The config's remote settings.
 * @param targets What each entry imports: a `jsr:` specifier or an http(s) URL.
 * @returns One outcome per target, or undefined when some graph cannot be linked
 * (then nothing is imported from the linked files and the hooks load everything).
 */
export async function linkRemotePlugins(
  settings: RemoteSettings,
  targets: readonly string[],
): Promise<Map<string, LinkOutcome> | undefined> {
  fs ??= await nodeBuiltin<typeof import("node:fs")>("node:fs");
  const dir = `${settings.cacheDir}/linked`;
  const key = JSON.stringify([FORMAT, targets, settings]);
  const indexPath = `${dir}/index-${fnv1a(key)}.json`;
  const cached = readIndex(indexPath, key, settings.lockPath, targets);
  if (cached !== undefined) return cached;

  // Loaded only when something must be linked (node:crypto alone takes over a millisecond to start).
  const { RemoteResolver } = await import("./resolver.ts");
  const { sha256Hex } = await import("./fetcher.ts");
  const lexer = await import("es-module-lexer");
  await lexer.init;
  const resolver = new RemoteResolver(settings);
  const graph = new Graph(resolver, lexer.parse);
  const roots = await Promise.all(targets.map(async (target) => {
    try {
      const url = target.startsWith("jsr:")
        ? await resolver.resolveJsr(target)
        : await resolver.resolveUrl(target);
      await graph.discover(url);
      return { target, url };
    } catch (error) {
      return { target, error: error as Error };
    }
  }));
  await graph.settled();
  await resolver.save();
  if ([...graph.nodes.values()].some((node) => node instanceof Unlinkable)) return undefined;
  const outcomes = new Map<string, LinkOutcome>();
  const writer = new Writer(dir, sha256Hex);
  try {
    for (const root of roots) {
      const file = root.error ?? writer.write(graph, root.url!, new Set());
      if (file instanceof Unlinkable) return undefined;
      if (file instanceof Error) outcomes.set(root.target, { error: file });
      else outcomes.set(root.target, { url: root.url!, importUrl: fileUrl(file) });
    }
    writer.flush();
  } catch {
    return undefined; // a cache folder that cannot be written: the hooks need none of these files
  }
  const failed = [...outcomes.values()].some((o) => "error" in o);
  if (!failed && settings.lockPath !== undefined) {
    const index: LinkIndex = {
      key,
      lock: readLock(settings.lockPath),
      plugins: Object.fromEntries(outcomes) as Record<string, LinkedPlugin>,
      files: [...writer.written],
    };
    try {
      atomicWrite(indexPath, JSON.stringify(index));
    } catch {
      // Without the index the next start links again, nothing else.
    }
  }
  return outcomes;
}

/** The outcomes an index records, if it is for this lock and all its files are there. */
function readIndex(
  path: string,
  key: string,
  lockPath: string | undefined,
  targets: readonly string[],
): Map<string, LinkOutcome> | undefined {
  // Without a lock nothing pins versions or hashes: resolve every time.
  if (lockPath === undefined) return undefined;
  let index: LinkIndex;
  try {
    index = JSON.parse(fs.readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  if (index.key !== key || index.lock !== readLock(lockPath)) return undefined;
  if (!targets.every((t) => index.plugins[t] !== undefined) || !index.files.every((f) => fs.existsSync(f))) {
    return undefined;
  }
  return new Map(targets.map((t) => [t, index.plugins[t]]));
}

/** The modules of the graphs being linked, loaded once each. */
class Graph {
  private readonly loading = new Map<string, Promise<ModuleNode>>();
  /** Settled modules (or their errors), for the synchronous writer. */
  readonly nodes = new Map<string, ModuleNode | Error>();

  constructor(
    private readonly resolver: RemoteResolver,
    private readonly parse: typeof import("es-module-lexer").parse,
  ) {}

  /** Resolves once every module any discover() call started has settled. */
  async settled(): Promise<void> {
    let size;
    do {
      size = this.loading.size;
      await Promise.allSettled(this.loading.values());
    } while (size !== this.loading.size);
  }

  /**
   * Loads `url` and everything it imports. A module another call is already
   * loading is left to that call, so that an import cycle cannot wait on itself;
   * once every root's discover() has settled, every module has.
   */
  async discover(url: string): Promise<void> {
    if (this.loading.has(url)) return;
    const pending = this.load(url);
    this.loading.set(url, pending);
    let node: ModuleNode;
    try {
      node = await pending;
      this.nodes.set(url, node);
    } catch (error) {
      this.nodes.set(url, error as Error);
      throw error;
    }
    await Promise.all(node.imports.map((i) => this.discover(i.target)));
  }

  private async load(url: string): Promise<ModuleNode> {
    const { source, format } = await this.resolver.load(url);
    if (format === "json") return { url, source, format, imports: [] };
    if (/\bimport\s*\.\s*meta\s*\.\s*resolve\b/.test(source)) {
      throw new Unlinkable(`${url}: import.meta.resolve`);
    }
    let found;
    try {
      [found] = this.parse(source, url);
    } catch {
      throw new Unlinkable(`${url}: not parsed`); // the hooks let the runtime report the syntax error
    }
    const imports = [];
    for (const i of found) {
      if (i.d === -2) continue; // import.meta
      const specifier = i.n;
      if (i.d !== -1 || specifier === undefined) throw new Unlinkable(`${url}: dynamic import()`);
      if (specifier.startsWith("node:")) continue;
      let target: string;
      if (specifier.startsWith("jsr:")) target = await this.resolver.resolveJsr(specifier, url);
      else if (/^https?:\/\//i.test(specifier)) target = await this.resolver.resolveUrl(specifier);
      else {
        const relative = this.resolver.resolveRelative(specifier, url);
        if (relative === undefined) throw new Unlinkable(`${url}: imports "${specifier}"`);
        target = await this.resolver.resolveUrl(relative);
      }
      imports.push({ start: i.s, end: i.e, target });
    }
    return { url, source, format, imports };
  }
}

/** Makes linked files, named by the hash of URL and content (one per module), dependencies first. */
class Writer {
  /** Every module's file, by module URL. */
  private readonly files = new Map<string, string>();
  /** Their contents, until flush(). */
  private readonly texts = new Map<string, string>();

  constructor(private readonly dir: string, private readonly hash: (text: string) => string) {}

  /** The files of every module linked so far. */
  get written(): Iterable<string> {
    return this.files.values();
  }

  /**
   * The file for `url` and its imports, or the error that stopped one of them.
   *
   * @param path The modules importing this one, to detect cycles.
   */
  write(graph: Graph, url: string, path: Set<string>): string | Error {
    const done = this.files.get(url);
    if (done !== undefined) return done;
    if (path.has(url)) return new Unlinkable(`import cycle through ${url}`);
    const node = graph.nodes.get(url);
    if (node === undefined) return new Error(`${url} was not loaded`);
    if (node instanceof Error) return node;
    let text: string;
    if (node.format === "json") text = node.source;
    else {
      path.add(url);
      const parts = [`import.meta.url = ${JSON.stringify(url)};`];
      let last = 0;
      for (const { start, end, target } of node.imports) {
        const file = this.write(graph, target, path);
        if (file instanceof Error) return file;
        parts.push(node.source.slice(last, start), `./${file.slice(this.dir.length + 1)}`);
        last = end;
      }
      parts.push(node.source.slice(last));
      path.delete(url);
      text = parts.join("");
    }
    const file = `${this.dir}/${this.hash(`${url}\n${text}`)}.${node.format === "json" ? "json" : "mjs"}`;
    this.texts.set(file, text);
    this.files.set(url, file);
    return file;
  }

  /** Writes the files that are not there yet: once every graph is known to link. */
  flush(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    for (const [file, text] of this.texts) if (!fs.existsSync(file)) atomicWrite(file, text);
  }
}

function readLock(path: string): string | null {
  try {
    return fs.readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** A short, fast hash for a file name (32-bit FNV-1a, hex); the index holds the full key. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

function atomicWrite(path: string, text: string): void {
  const temporary = `${path}.${globalThis.process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, path);
}
