/**
 * Remote plugins on Node without the remote loader hooks. Node 20 runs loader
 * hooks in a separate thread, and a cached run of 21 remote plugins spent most of
 * its time in them. Instead, the main thread resolves and verifies each remote
 * module graph (the same {@linkcode RemoteResolver} the hooks use), writes every
 * module as a plain file under `<cacheDir>/linked/` with its imports pointing at
 * the other files, and Node imports those natively. Each file first gives
 * `import.meta` what a remote module has (its URL, no file name; after any
 * hashbang line) and ends with a `sourceURL`, so that stack traces name the URL;
 * the inline source map of compiled TypeScript is moved with the edits (`_sourcemap.ts`).
 *
 * An index of what was linked, keyed by the config's remote entries and settings
 * and tied to the lockfile's exact text, lets the next start skip resolving
 * altogether: with the same lock, every version, redirect and hash is the same.
 * The index is written only when this process's view of the lock is the whole
 * file (no other process wrote it in between). Like the transpiled forms in the
 * cache, the linked files are trusted while the index holds; linking again
 * rewrites them all and sweeps out what no index can use any more.
 *
 * Graphs the files cannot express go to the hooks, for the whole config (a module
 * must not load twice by two routes), and the index records that verdict: bare
 * and `npm:` imports (they resolve from node_modules, which changes without the
 * lock), dynamic `import()`, uses of `import.meta` other than reading a member
 * (`resolve()` would resolve against the file), and import cycles.
 *
 * @module
 */
import { fileUrl, host, nodeBuiltin } from "../../runtime/mod.ts";
import { samePath } from "../../runtime/path.ts";
import type { RemoteSettings } from "./resolver.ts";
import type { Graph } from "./graph.ts";
import type { shiftInlineMap } from "./_sourcemap.ts";

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

/** The config's remote plugins, linked. */
export interface Linked {
  /** One outcome per import target (`jsr:` specifier or URL). */
  readonly plugins: Map<string, LinkOutcome>;
  /** Every linked module's file (`file:` URL) by its remote URL. */
  readonly modules: Readonly<Record<string, string>>;
}

/** Bump when the linked files' form changes: it is part of every index key. */
const FORMAT = "linked-3";

/** The index file: what linking gave, valid for one lock. */
interface LinkIndex {
  /** What was linked, with which settings: compared in full (the file name is a short hash of it). */
  readonly key: string;
  /** The lockfile's text (compared in full: no hash to compute on start-up). */
  readonly lock: string | null;
  /** Set when some graph cannot be linked: the hooks load the config, with no linking tried. */
  readonly unlinkable?: true;
  /** Import targets and the remote URLs they resolved to. */
  readonly plugins?: Record<string, string>;
  /** Linked file paths by remote URL. */
  readonly modules?: Record<string, string>;
}

/**
 * Links the remote plugins of a config for Node.
 *
 * @param settings The config's remote settings.
 * @param targets What each entry imports: a `jsr:` specifier or an http(s) URL.
 * @returns What was linked, or undefined when some graph cannot be linked (then
 * nothing is imported from the linked files and the hooks load everything).
 */
export async function linkRemotePlugins(
  settings: RemoteSettings,
  targets: readonly string[],
): Promise<Linked | undefined> {
  // Without a lock nothing pins versions or hashes: no index could hold, and linking
  // on every start costs more than the hooks.
  if (settings.lockPath === undefined) return undefined;
  fs ??= await nodeBuiltin<typeof import("node:fs")>("node:fs");
  const dir = `${settings.cacheDir}/linked`;
  const key = JSON.stringify([FORMAT, targets, settings]);
  const job = {
    settings,
    lockPath: settings.lockPath,
    targets,
    dir,
    key,
    indexPath: `${dir}/index-${fnv1a(key)}.json`,
  };
  const index = readIndex(job.indexPath, key, settings.lockPath);
  if (index?.unlinkable) return undefined;
  if (index !== undefined) {
    const found = fromIndex(index, targets);
    if (found !== undefined) return found;
  }
  return await link(job);
}

/** One config's linking: what to link, with which settings, and where the files and the index go. */
interface LinkJob {
  readonly settings: RemoteSettings;
  readonly lockPath: string;
  readonly targets: readonly string[];
  readonly dir: string;
  /** The index's key: format, targets and settings. */
  readonly key: string;
  readonly indexPath: string;
}

/** Loads every graph, then writes the files and the index; undefined when the hooks must load the plugins. */
async function link(job: LinkJob): Promise<Linked | undefined> {
  // Loaded only when something must be linked (node:crypto alone takes over a millisecond to start;
  // every module costs a round trip to Node's loader thread).
  const [{ RemoteResolver }, { loadParser, walkGraph }, { sha256Hex }] = await Promise.all([
    import("./resolver.ts"),
    import("./graph.ts"),
    import("./cache.ts"),
  ]);
  const parse = await loadParser();
  if (parse === undefined) return undefined; // no WebAssembly (node --jitless): the hooks need no lexer
  const resolver = new RemoteResolver(job.settings);
  const { graph, roots } = await walkGraph(resolver, parse, job.targets);
  let lockText: string | null | undefined;
  try {
    await resolver.save();
    lockText = await resolver.lockText();
  } catch {
    return undefined; // a lock that cannot be written: the hooks report it for each plugin
  }
  const record = (entry: IndexEntry) => recordIndex(job, lockText, entry);
  if (graph.hasUnlinkable()) {
    await record({ unlinkable: true });
    return undefined;
  }
  const writer = new Writer(job.dir, sha256Hex, (await import("./_sourcemap.ts")).shiftInlineMap);
  const plugins = new Map<string, LinkOutcome>();
  try {
    for (const root of roots) {
      const file = root.error ?? writer.write(graph, root.url!, new Set());
      if (graph.isUnlinkable(file)) {
        await record({ unlinkable: true });
        return undefined;
      }
      if (file instanceof Error) plugins.set(root.target, { error: file });
      else plugins.set(root.target, { url: root.url!, importUrl: fileUrl(file) });
    }
    await writer.flush();
  } catch {
    return undefined; // a cache folder that cannot be written: the hooks need none of these files
  }
  if (![...plugins.values()].some((o) => "error" in o)) {
    await record({
      plugins: Object.fromEntries(roots.map((r) => [r.target, r.url!])),
      modules: Object.fromEntries(writer.files),
    });
    if (lockText !== undefined) sweep(job.dir, job.lockPath, lockText);
  }
  return {
    plugins,
    modules: Object.fromEntries([...writer.files].map(([url, file]) => [url, fileUrl(file)])),
  };
}

/** What an index records besides its key and lock. */
type IndexEntry = Omit<LinkIndex, "key" | "lock">;

/**
 * Writes the index for this lock, so that later starts skip resolving (or go to the
 * hooks at once); only when this process's view of the lock is still the file's.
 */
async function recordIndex(
  job: LinkJob,
  lockText: string | null | undefined,
  entry: IndexEntry,
): Promise<void> {
  if (lockText === undefined || readText(job.lockPath) !== lockText) return;
  try {
    fs.mkdirSync(job.dir, { recursive: true });
    await host.writeFileAtomic(job.indexPath, JSON.stringify({ key: job.key, lock: lockText, ...entry }));
  } catch {
    // Without the index the next start links again, nothing else.
  }
}

/**
 * Puts back the remote URLs of linked files named in a message (such as "The
 * requested module './<hash>.mjs' does not provide an export named ...").
 *
 * @param text The message.
 * @param modules Linked files by remote URL, as {@linkcode Linked.modules} gives them.
 * @returns The message with remote URLs.
 */
export function remoteNames(text: string, modules: Readonly<Record<string, string>>): string {
  if (!LINKED_NAME.test(text)) return text;
  const byHash = new Map(Object.entries(modules).map(([url, file]) => [LINKED_NAME.exec(file)?.[1], url]));
  return text.replace(new RegExp(LINKED_NAME, "g"), (name, hash) => byHash.get(hash) ?? name);
}

/** A linked file's name in a path, URL or relative import; the hash is group 1. */
const LINKED_NAME = /(?:[^\s'"]*[\\/]linked[\\/]|\.\/)([0-9a-f]{64})\.(?:mjs|json)/;

/** The index at `path`, if it is for this key and this lock. */
function readIndex(path: string, key: string, lockPath: string): LinkIndex | undefined {
  let index: LinkIndex;
  try {
    index = JSON.parse(fs.readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  return index.key === key && index.lock === readText(lockPath) ? index : undefined;
}

/** What an index records, if all its files are still there. */
function fromIndex(index: LinkIndex, targets: readonly string[]): Linked | undefined {
  const files = index.modules ?? {};
  const plugins = new Map<string, LinkOutcome>();
  for (const target of targets) {
    const url = index.plugins?.[target];
    if (url === undefined || files[url] === undefined) return undefined;
    plugins.set(target, { url, importUrl: fileUrl(files[url]) });
  }
  const modules: Record<string, string> = {};
  for (const [url, file] of Object.entries(files)) {
    if (!fs.existsSync(file)) return undefined;
    modules[url] = fileUrl(file);
  }
  return { plugins, modules };
}

/** Makes linked files, named by the hash of URL and content (one per module), dependencies first. */
class Writer {
  private readonly dir: string;
  private readonly hash: (text: string) => string;
  private readonly shiftMap: typeof shiftInlineMap;
  /** Every module's file, by module URL. */
  readonly files = new Map<string, string>();
  /** Their contents, until flush(). */
  private readonly texts = new Map<string, string>();

  constructor(dir: string, hash: (text: string) => string, shiftMap: typeof shiftInlineMap) {
    this.dir = dir;
    this.hash = hash;
    this.shiftMap = shiftMap;
  }

  /**
   * The file for `url` and its imports, or the error that stopped one of them.
   *
   * @param path The modules importing this one, to detect cycles.
   */
  write(graph: Graph, url: string, path: Set<string>): string | Error {
    const done = this.files.get(url);
    if (done !== undefined) return done;
    if (path.has(url)) return graph.unlinkable(`import cycle through ${url}`);
    const node = graph.nodes.get(url);
    if (node === undefined) return new Error(`${url} was not loaded`);
    if (node instanceof Error) return node;
    let text: string;
    if (node.format === "json") text = node.source;
    else {
      path.add(url);
      // import.meta as a remote module has it: its URL, no file name. After any hashbang line.
      const hashbang = node.source.startsWith("#!") ? node.source.indexOf("\n") + 1 || node.source.length : 0;
      const prefix = `import.meta.url = ${JSON.stringify(url)}; import.meta.main = false; ` +
        `delete import.meta.filename; delete import.meta.dirname;`;
      const specifiers: string[] = [];
      for (const { target } of node.imports) {
        const file = this.write(graph, target, path);
        if (file instanceof Error) return file;
        specifiers.push(`./${file.slice(this.dir.length + 1)}`);
      }
      // Columns in the inline source map (TypeScript) move with the edits; the map ends the text, after them all.
      const source = this.shiftMap(node.source, [
        { at: hashbang, delta: prefix.length },
        ...node.imports.map(({ start, end }, i) => ({
          at: end,
          delta: specifiers[i].length - (end - start),
        })),
      ]);
      const parts = [source.slice(0, hashbang), prefix];
      let last = hashbang;
      node.imports.forEach(({ start, end }, i) => {
        parts.push(source.slice(last, start), specifiers[i]);
        last = end;
      });
      // Stack traces name the remote URL (TypeScript's inline source map names it too).
      parts.push(source.slice(last), `\n//# sourceURL=${url}\n`);
      path.delete(url);
      text = parts.join("");
    }
    const file = `${this.dir}/${this.hash(`${url}\n${text}`)}.${node.format === "json" ? "json" : "mjs"}`;
    this.texts.set(file, text);
    this.files.set(url, file);
    return file;
  }

  /**
   * Writes the files, once every graph is known to link. Files already there are
   * written again unless their bytes match: this runs only when the index was
   * missing or stale, and a damaged file must not outlive that.
   */
  async flush(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    for (const [file, text] of this.texts) {
      if (readText(file) !== text) await host.writeFileAtomic(file, text);
    }
  }
}

/** How old an unreferenced linked file must be to go: another process may be about to index it. */
const SWEEP_AFTER_MS = 60 * 60 * 1000;

/**
 * Removes what no index can use any more, after linking wrote a new one: indexes
 * for this lockfile made for another text of it (or another format), and then
 * linked files (and temporary files) that no remaining index names and that are
 * over an hour old. Best effort: a file that cannot go stays.
 */
function sweep(dir: string, lockPath: string, lockText: string | null): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  /** File names (all in `dir`) that some remaining index names. */
  const kept = new Set<string>();
  for (const name of names.filter((n) => n.startsWith("index-") && n.endsWith(".json"))) {
    const path = `${dir}/${name}`;
    try {
      const index: LinkIndex = JSON.parse(fs.readFileSync(path, "utf8"));
      const [format, , settings]: [string, unknown, RemoteSettings] = JSON.parse(index.key);
      if (
        format !== FORMAT ||
        (settings.lockPath !== undefined && samePath(settings.lockPath, lockPath) && index.lock !== lockText)
      ) {
        fs.rmSync(path, { force: true });
        continue;
      }
      for (const file of Object.values(index.modules ?? {})) kept.add(/[^\\/]*$/.exec(file)![0]);
    } catch {
      // Unreadable or going: the next sweep looks again.
    }
  }
  const before = Date.now() - SWEEP_AFTER_MS;
  for (const name of names) {
    if (!/^[0-9a-f]{64}\.(mjs|json)$|\.tmp$/.test(name) || kept.has(name)) continue;
    try {
      const path = `${dir}/${name}`;
      if (fs.statSync(path).mtimeMs < before) fs.rmSync(path, { force: true });
    } catch {
      // Gone already (another process's temporary file, renamed), or in use.
    }
  }
}

/** A file's text, or null when it cannot be read. */
function readText(path: string): string | null {
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
