/**
 * Transpiling, Deno's "emit": a verified remote module made ready for Node, JSON
 * and JavaScript as they are, TypeScript and JSX through the project's one
 * transpile cache (`src/runtime/transpile.mjs`, shared with local TypeScript).
 *
 * @module
 */
import type { RemoteSource } from "./fetch.ts";
import { moduleKind } from "./verify.ts";

/** A module ready for the runtime. */
export interface LoadedSource {
  /** JavaScript (TypeScript already transpiled), or JSON text. */
  readonly source: string;
  /** How to evaluate it. */
  readonly format: "module" | "json";
}

/**
 * Makes a verified response ready to run.
 *
 * @param url The module's URL (the name its source map gives it).
 * @param source The verified response.
 * @returns JavaScript or JSON text.
 * @throws {Error} For a response that is not a module, or TypeScript that does not compile.
 */
export async function transpileModule(url: string, source: RemoteSource): Promise<LoadedSource> {
  const text = new TextDecoder().decode(source.body);
  const kind = moduleKind(url, source);
  if (kind === "json") return { source: text, format: "json" };
  if (kind === "js") return { source: text, format: "module" };
  // Loaded on first use: JSON and JavaScript need none of it (and esbuild loads only on a cache miss).
  const { transpile } = await import("../../runtime/transpile.mjs");
  try {
    return { source: await transpile(text, { loader: kind, sourcefile: url }), format: "module" };
  } catch (error) {
    throw new Error(`cannot compile ${url}: ${(error as Error).message.split("\n").slice(0, 2).join(" ")}`);
  }
}
