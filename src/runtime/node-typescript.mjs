// @ts-check
// TypeScript for Node without tsx: module loader hooks that transpile .ts, .mts
// and .tsx files through the project's transpile cache (./transpile.mjs: esbuild,
// types stripped, nothing checked; a second start transpiles nothing). Plain
// JavaScript, so that Node can load it as is.
//
// Also lets a TypeScript file import "./x.js" when only x.ts or x.tsx exists
// (TypeScript's convention for ES module projects). As on Deno, imports need their
// extension and TypeScript files are ES modules (no require, no .cts).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { transpile } from "./transpile.mjs";

const TYPESCRIPT = /\.(ts|mts|tsx)$/;
let cacheDir = "";
/** A linked remote module's file URL, and how linked modules import one another. */
const LINKED_FILE = /^file:\/\/.*\/linked\/[0-9a-f]{64}\.(mjs|json)$/;
const LINKED_IMPORT = /(^\.\/|\/linked\/)[0-9a-f]{64}\.(mjs|json)$/;

/** The library's src/ folder, whose modules import one another by relative paths. */
const OWN = new URL("../", import.meta.url).href;
const OWN_IMPORT = /^\.{1,2}\/[^?#]*\.ts$/;

/** @param {{ cacheDir: string }} data */
export function initialize(data) {
  cacheDir = data.cacheDir;
}

/**
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context?: object) => Promise<{ url: string }>} next
 */
export async function resolve(specifier, context, next) {
  // Remote modules linked as plain files (src/loader/remote/link.ts) import each
  // other by content hash: no lookup can change where such a name leads.
  const linked = LINKED_IMPORT.test(specifier) &&
    (specifier.startsWith("file:") || LINKED_FILE.test(context.parentURL ?? ""));
  if (linked) return { url: new URL(specifier, context.parentURL).href, shortCircuit: true };
  // The library's own modules import one another by relative .ts paths that always
  // exist: Node's own resolution (existence checks, the real path, the package scope)
  // cost ~0.35 ms a module, a sixth of the CLI's start. Other files resolve as usual.
  const parent = context.parentURL;
  if (parent?.startsWith(OWN) && OWN_IMPORT.test(specifier)) {
    const url = new URL(specifier, parent).href;
    if (url.startsWith(OWN)) return { url, shortCircuit: true };
  }
  try {
    return await next(specifier, context);
  } catch (error) {
    const parent = context.parentURL ?? "";
    if (
      /** @type {{ code?: string }} */ (error).code !== "ERR_MODULE_NOT_FOUND" ||
        !TYPESCRIPT.test(parent) || !/^\.{1,2}\/.*\.m?js$/.test(specifier)
    ) {
      throw error;
    }
    const candidates = specifier.endsWith(".mjs")
      ? [specifier.replace(/\.mjs$/, ".mts")]
      : [specifier.replace(/\.js$/, ".ts"), specifier.replace(/\.js$/, ".tsx")];
    for (const candidate of candidates) {
      try {
        return await next(candidate, context);
      } catch {
        // try the next one
      }
    }
    throw error; // the original error names the file that was asked for
  }
}

/**
 * @param {string} url
 * @param {object} context
 * @param {(url: string, context?: object) => Promise<{ format: string; source?: unknown }>} next
 */
export async function load(url, context, next) {
  if (LINKED_FILE.test(url) && url.endsWith(".mjs")) {
    // Always ES modules, and Node's own load would look for a package.json first.
    return { format: "module", source: await readFile(fileURLToPath(url), "utf8"), shortCircuit: true };
  }
  if (!url.startsWith("file:") || !TYPESCRIPT.test(url.split("?")[0])) return next(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, "utf8");
  const code = await transpile(source, {
    loader: url.endsWith(".tsx") ? "tsx" : "ts",
    sourcefile: path,
    cacheDir,
  });
  return { format: "module", source: code, shortCircuit: true };
}
