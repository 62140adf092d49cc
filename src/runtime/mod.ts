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
