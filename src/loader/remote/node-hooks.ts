/**
 * Node module customisation hooks (run in Node's loader thread) that give Node
 * what Deno has natively: `jsr:` and `https:` imports, relative imports inside
 * remote modules, and bare or `npm:` imports inside them resolved from the
 * project's node_modules. Registered by `node.ts` after the TypeScript loader (the library's
 * own, or tsx), so that these run first.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { MessagePort } from "node:worker_threads";
import { resolveNpm } from "../npm.ts";
import { RemoteResolver, type RemoteSettings } from "./resolver.ts";

/** What the main thread sends. */
export type HookMessage = {
  id: number;
  type: "configure";
  settings: RemoteSettings & { projectUrl: string };
};

let resolver: RemoteResolver | undefined;
let projectUrl = "";

/** Receives the port the main thread configures the hooks through. */
export function initialize(data: { port: MessagePort }): void {
  data.port.on("message", (message: HookMessage) => {
    resolver = new RemoteResolver(message.settings);
    projectUrl = message.settings.projectUrl;
    data.port.postMessage({ id: message.id });
  });
  data.port.unref();
}

type Context = { parentURL?: string; conditions?: string[]; importAttributes?: Record<string, string> };
type Next<T> = (specifier: string, context?: Context) => Promise<T>;
type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type Loaded = { format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean };

/** Resolves `jsr:`, remote URLs and imports written inside remote modules. */
export async function resolve(specifier: string, context: Context, next: Next<Resolved>): Promise<Resolved> {
  if (resolver === undefined) return next(specifier, context);
  if (specifier.startsWith("jsr:")) {
    return { url: await resolver.resolveJsr(specifier, context.parentURL), shortCircuit: true };
  }
  if (/^https?:\/\//.test(specifier)) {
    return { url: await resolver.resolveUrl(specifier), shortCircuit: true };
  }
  const parent = context.parentURL;
  if (parent !== undefined && /^https?:/.test(parent)) {
    const relative = resolver.resolveRelative(specifier, parent);
    if (relative !== undefined) return { url: await resolver.resolveUrl(relative), shortCircuit: true };
    // npm: imports of a remote module come from the project's node_modules, checked
    // against their range; bare and node: ones resolve from the project as well.
    const npm = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?(?:\/(.+))?$/.exec(specifier);
    if (npm) {
      const pkg = await resolveNpm(npm[1], npm[2], npm[3], fileURLToPath(projectUrl));
      return { url: pkg.url, shortCircuit: true };
    }
    return next(specifier, { ...context, parentURL: projectUrl });
  }
  return next(specifier, context);
}

/** Loads remote modules: fetched or cached, verified, and transpiled when TypeScript. */
export async function load(url: string, context: Context, next: Next<Loaded>): Promise<Loaded> {
  if (resolver === undefined || !/^https?:/.test(url)) return next(url, context);
  const { source, format } = await resolver.load(url);
  return { format, source, shortCircuit: true };
}
