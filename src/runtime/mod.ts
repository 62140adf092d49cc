/**
 * The one place that tells Deno from Node. Everything else uses `node:` built-ins,
 * which both runtimes provide.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** Which runtime this is and its version. */
export interface RuntimeInfo {
  /** `"deno"` or `"node"`. */
  readonly name: "deno" | "node";
  /** The runtime's own version, such as `2.9.6` or `20.20.2`. */
  readonly version: string;
}

interface DenoGlobal {
  readonly version: { readonly deno: string };
  readTextFile(path: string): Promise<string>;
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

/**
 * Reads a UTF-8 text file. On Deno through Deno's own API: its first call costs
 * about half of node:fs's (which Deno emulates), and config files are read on
 * every start.
 *
 * @param path An absolute path.
 * @returns The text.
 * @throws The runtime's error; {@linkcode isNotFound} tells a missing file.
 */
export function readTextFile(path: string): Promise<string> {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  return deno !== undefined ? deno.readTextFile(path) : readFile(path, "utf8");
}

/**
 * Whether an error from {@linkcode readTextFile} means there is no such file
 * (or the path is a folder).
 *
 * @param error What was thrown.
 * @returns True for a missing file or a folder.
 */
export function isNotFound(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR" || name === "NotFound" ||
    name === "IsADirectory" || name === "NotADirectory";
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
      data: { cacheDir: fileURLToPath(new URL("../../node_modules/.cache/bernstein-ts", import.meta.url)) },
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
