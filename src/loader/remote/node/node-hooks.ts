/**
 * Node module customisation hooks (run in Node's loader thread) that give Node
 * what Deno has natively: `jsr:` and `https:` imports, relative imports inside
 * remote modules, and bare or `npm:` imports inside them resolved from the
 * project's node_modules. Registered by `node.ts` after the TypeScript loader (the library's
 * own, or tsx), so that these run first.
 *
 * Thin until a remote specifier reaches them: the resolver and npm code load then.
 * On a cached start every remote plugin is usually linked (`../link.ts`) and imported
 * as a plain file, so nothing remote reaches them at all; a remote module a local
 * plugin imports resolves to the same linked file, so that it loads once.
 *
 * @module
 */
import type { MessagePort } from "node:worker_threads";
import type { RemoteResolver, RemoteSettings } from "../resolver.ts";

/** The settings for one config. */
export type HookSettings = RemoteSettings & {
  /** `file:` URL of the config's folder (ending in `/`). */
  projectUrl: string;
  /** Linked files (`file:` URLs) by the remote URL they stand for. */
  linked: Readonly<Record<string, string>>;
};

/** What the main thread sends. */
export type HookMessage = { id: number; type: "configure"; settings: HookSettings };

let settings: HookSettings | undefined;
let resolver: Promise<RemoteResolver> | undefined;

/** Receives the first settings, and the port later configs reconfigure the hooks through. */
export function initialize(data: { port: MessagePort; settings: HookSettings }): void {
  settings = data.settings;
  data.port.on("message", (message: HookMessage) => {
    settings = message.settings;
    resolver = undefined;
    data.port.postMessage({ id: message.id });
  });
  data.port.unref();
}

/** The resolver for the current settings, loaded on first use. */
function remote(): Promise<RemoteResolver> {
  const current = settings!;
  return resolver ??= import("../resolver.ts").then(({ RemoteResolver }) => new RemoteResolver(current));
}

type Context = { parentURL?: string; conditions?: string[]; importAttributes?: Record<string, string> };
type Next<T> = (specifier: string, context?: Context) => Promise<T>;
type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type Loaded = { format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean };

/** A remote URL, or the file it was linked to. */
function located(url: string): Resolved {
  return { url: settings!.linked[url] ?? url, shortCircuit: true };
}

/** Resolves `jsr:`, remote URLs and imports written inside remote modules. */
export async function resolve(specifier: string, context: Context, next: Next<Resolved>): Promise<Resolved> {
  if (settings === undefined) return next(specifier, context);
  if (specifier.startsWith("jsr:")) {
    return located(await (await remote()).resolveJsr(specifier, context.parentURL));
  }
  if (/^https?:\/\//.test(specifier)) return located(await (await remote()).resolveUrl(specifier));
  const parent = context.parentURL;
  if (parent !== undefined && /^https?:/.test(parent)) {
    const resolver = await remote();
    const relative = resolver.resolveRelative(specifier, parent);
    if (relative !== undefined) return located(await resolver.resolveUrl(relative));
    // npm: imports of a remote module come from the project's node_modules, checked
    // against their range; bare and node: ones resolve from the project as well.
    if (specifier.startsWith("npm:")) {
      const [{ splitPackage }, { resolveNpm }, { filePath }] = await Promise.all([
        import("../../specifier.ts"),
        import("../../npm.ts"),
        import("../../../runtime/host.ts"),
      ]);
      const parts = splitPackage(specifier.slice(4));
      if (parts !== undefined) {
        const pkg = await resolveNpm(parts, filePath(settings.projectUrl));
        return { url: pkg.url, shortCircuit: true };
      }
    }
    return next(specifier, { ...context, parentURL: settings.projectUrl });
  }
  return next(specifier, context);
}

/** Loads remote modules: fetched or cached, verified, and transpiled when TypeScript. */
export async function load(url: string, context: Context, next: Next<Loaded>): Promise<Loaded> {
  if (settings === undefined || !/^https?:/.test(url)) return next(url, context);
  const { source, format } = await (await remote()).load(url);
  return { format, source, shortCircuit: true };
}
