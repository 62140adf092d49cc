/**
 * The one place that tells Deno from Node: which runtime this is, importing
 * modules (with TypeScript on Node), and through `./host.ts` the process, files,
 * file URLs and timers, without a `node:` import on Deno's start-up path.
 *
 * @module
 */
import { filePath, host } from "./host.ts";

export {
  type AppendFile,
  filePath,
  fileUrl,
  type Host,
  host,
  type HostInterval,
  nodeBuiltin,
} from "./host.ts";

/** Which runtime this is and its version. */
export interface RuntimeInfo {
  /** `"deno"` or `"node"`. */
  readonly name: "deno" | "node";
  /** The runtime's own version, such as `2.9.6` or `20.20.2`. */
  readonly version: string;
}

/**
 * Tells which runtime runs this code.
 *
 * @returns Name and version.
 * @example
 * ```ts
 * import { runtime } from "./mod.ts";
 * console.log(`${runtime().name} ${runtime().version}`);
 * ```
 */
export function runtime(): RuntimeInfo {
  return { name: host.name, version: host.version };
}

const REGISTERED = Symbol.for("bernstein.typescript");

/**
 * Imports a module by absolute URL on either runtime. Deno imports TypeScript
 * natively; on Node, when a TypeScript file is refused, the library's TypeScript
 * loader (src/runtime/node-typescript.mjs) is registered once and the import retried.
 *
 * @param url An absolute `file:` URL (or any URL the runtime can import).
 * @returns The module namespace.
 * @throws Whatever the runtime throws: file not found, syntax error, permission.
 */
export async function importModule(url: string): Promise<Record<string, unknown>> {
  try {
    return await import(url);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (runtime().name !== "node" || code !== "ERR_UNKNOWN_FILE_EXTENSION") throw error;
    await ensureTypeScript(true);
    return await import(url);
  }
}

/**
 * On Node, registers the library's TypeScript loader unless TypeScript already
 * loads: the bernstein command registered it, or the process runs under tsx. Does
 * nothing on Deno.
 *
 * @param force Register without looking: an import has just failed for want of it.
 */
export function ensureTypeScript(force = false): Promise<void> {
  const global = globalThis as { [REGISTERED]?: boolean | Promise<void> };
  if (runtime().name !== "node" || (!force && underTsx())) return Promise.resolve();
  const registered = global[REGISTERED];
  if (registered === true) return Promise.resolve();
  if (registered) return registered;
  // The promise is stored at once, so that plugins imported in parallel register it once.
  const registering = import("node:module").then(({ register }) => {
    register(new URL("./node-typescript.mjs", import.meta.url), {
      data: { cacheDir: filePath(new URL("../../node_modules/.cache/bernstein-ts", import.meta.url)) },
    });
    globalThis.process.setSourceMapsEnabled(true);
    global[REGISTERED] = true;
  });
  global[REGISTERED] = registering;
  return registering;
}

/** Whether tsx's loader is in this Node process (started with `tsx` or `--import tsx`). */
function underTsx(): boolean {
  const flags = [...globalThis.process.execArgv, globalThis.process.env.NODE_OPTIONS ?? ""];
  return flags.some((flag) => /[\\/]tsx[\\/]|^tsx$|--import[= ]tsx/.test(flag));
}
