/**
 * The one place that tells Deno from Node. Everything else uses `node:` built-ins,
 * which both runtimes provide.
 *
 * @module
 */

/** Which runtime this is and its version. */
export interface RuntimeInfo {
  /** `"deno"` or `"node"`. */
  readonly name: "deno" | "node";
  /** The runtime's own version, such as `2.9.6` or `20.20.2`. */
  readonly version: string;
}

interface DenoGlobal {
  readonly version: { readonly deno: string };
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
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  if (deno !== undefined) return { name: "deno", version: deno.version.deno };
  return { name: "node", version: globalThis.process.versions.node };
}

let typeScriptOnNode: Promise<unknown> | undefined;

/**
 * Imports a module by absolute URL on either runtime. Deno imports TypeScript
 * natively; on Node, when the process was not started with tsx and a TypeScript
 * file is refused, tsx's loader is registered once (lazily) and the import is retried.
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
 * On Node, registers tsx's loader unless TypeScript already loads (the process was
 * started with tsx) or `force` says it does not. Does nothing on Deno.
 *
 * @param force Register without probing: an import has just failed for want of it.
 */
export async function ensureTypeScript(force = false): Promise<void> {
  if (runtime().name !== "node") return;
  typeScriptOnNode ??= (async () => {
    if (!force && loadsTypeScript()) return;
    // Both loaders: .ts files in a package that is not "type": "module" go through CommonJS.
    const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
    cjs.register();
    esm.register();
  })();
  await typeScriptOnNode;
}

/** Whether tsx's loader is already in this Node process (started with `tsx` or `--import tsx`). */
function loadsTypeScript(): boolean {
  const flags = [...globalThis.process.execArgv, globalThis.process.env.NODE_OPTIONS ?? ""];
  return flags.some((flag) => /[\\/]tsx[\\/]|^tsx$|--import[= ]tsx/.test(flag));
}
