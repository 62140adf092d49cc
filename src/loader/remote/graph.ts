/**
 * The module graph walk, as Deno builds its module graph before running
 * anything: every module of some roots loaded (resolved, fetched, verified,
 * transpiled) once, with each static import resolved to the remote URL it names.
 * The linker (`link.ts`) writes files from it; what the files cannot express is
 * an {@linkcode Unlinkable}.
 *
 * @module
 */
import type { RemoteResolver } from "./resolver.ts";

/** Raised for a module the files cannot express; the caller then uses the loader hooks. */
export class Unlinkable extends Error {}

/** One module, loaded and verified, with its imports resolved to remote URLs. */
export interface ModuleNode {
  readonly url: string;
  readonly source: string;
  readonly format: "module" | "json";
  /** Specifier positions in `source` and the remote URL each resolves to. */
  readonly imports: readonly { start: number; end: number; target: string }[];
}

/** The modules of the graphs being linked, loaded once each. */
export class Graph {
  private readonly resolver: RemoteResolver;
  private readonly parse: typeof import("es-module-lexer").parse;
  private readonly loading = new Map<string, Promise<ModuleNode>>();
  /** Settled modules (or their errors), for the synchronous writer. */
  readonly nodes = new Map<string, ModuleNode | Error>();

  /**
   * A graph whose modules `resolver` loads and `parse` reads the imports of.
   *
   * @param resolver Resolves, fetches, verifies and transpiles each module.
   * @param parse es-module-lexer's parse.
   */
  constructor(resolver: RemoteResolver, parse: typeof import("es-module-lexer").parse) {
    this.resolver = resolver;
    this.parse = parse;
  }

  /** Whether some module cannot be linked (then no graph is: the hooks load them all). */
  hasUnlinkable(): boolean {
    return [...this.nodes.values()].some((node) => node instanceof Unlinkable);
  }

  /**
   * Whether a value is the error for something the files cannot express.
   *
   * @param value What writing a module gave.
   * @returns True for an {@linkcode Unlinkable}.
   */
  isUnlinkable(value: unknown): boolean {
    return value instanceof Unlinkable;
  }

  /**
   * The error for something the files cannot express (an import cycle, say).
   *
   * @param reason What it is, naming the module.
   * @returns The error.
   */
  unlinkable(reason: string): Error {
    return new Unlinkable(reason);
  }

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
    let found;
    try {
      [found] = this.parse(source, url);
    } catch {
      throw new Unlinkable(`${url}: not parsed`); // the hooks let the runtime report the syntax error
    }
    const imports = [];
    for (const i of found) {
      if (i.d === -2) {
        // import.meta.url and the like are set in the file; resolve() would resolve against the file.
        const member = /^\s*\.\s*([\w$]+)/.exec(source.slice(i.e))?.[1];
        if (member === undefined || member === "resolve") throw new Unlinkable(`${url}: import.meta use`);
        continue;
      }
      const specifier = i.n;
      if (i.d !== -1 || specifier === undefined) throw new Unlinkable(`${url}: dynamic import()`);
      if (specifier.startsWith("node:")) continue;
      let target: string;
      if (specifier.startsWith("jsr:")) target = await this.resolver.resolveJsr(specifier, url);
      else if (/^https?:\/\//.test(specifier)) target = await this.resolver.resolveUrl(specifier);
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

/** A plugin's root module: the entry's import target and where it led, or why it did not. */
export interface Root {
  /** The `jsr:` specifier or URL the entry imports. */
  readonly target: string;
  /** The module's remote URL, when it resolved. */
  readonly url?: string;
  /** Why the entry cannot load. */
  readonly error?: Error;
}

/**
 * Walks the graphs of a config's remote plugins: every root resolved first, then
 * every module of every graph loaded, once each.
 *
 * @param resolver The config's resolver.
 * @param parse es-module-lexer's parse.
 * @param targets What each entry imports: a `jsr:` specifier or an http(s) URL.
 * @returns The graph, settled, and one root per target.
 */
export async function walkGraph(
  resolver: RemoteResolver,
  parse: typeof import("es-module-lexer").parse,
  targets: readonly string[],
): Promise<{ graph: Graph; roots: Root[] }> {
  const graph = new Graph(resolver, parse);
  // Every entry resolved before any module is checked: an entry's SRI hash binds the module it
  // resolves to, and must be known by then, whichever entry reaches that module first.
  const resolved: Root[] = await Promise.all(targets.map(async (target) => {
    try {
      const url = target.startsWith("jsr:")
        ? await resolver.resolveJsr(target)
        : await resolver.resolveUrl(target);
      return { target, url };
    } catch (error) {
      return { target, error: error as Error };
    }
  }));
  const roots = await Promise.all(resolved.map(async (root) => {
    if (root.error !== undefined) return root;
    try {
      await graph.discover(root.url!);
      return root;
    } catch (error) {
      return { target: root.target, error: error as Error };
    }
  }));
  await graph.settled();
  return { graph, roots };
}

/**
 * es-module-lexer's parse, ready to use.
 *
 * @returns The parser, or undefined without WebAssembly (`node --jitless`).
 */
export async function loadParser(): Promise<typeof import("es-module-lexer").parse | undefined> {
  try {
    const lexer = await import("es-module-lexer");
    await lexer.init;
    return lexer.parse;
  } catch {
    return undefined;
  }
}
