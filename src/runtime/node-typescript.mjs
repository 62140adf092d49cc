// @ts-check
// TypeScript for Node without tsx: module loader hooks that transpile .ts, .mts
// and .tsx files with esbuild (types stripped, nothing checked) and keep the output
// in a cache keyed by the source, the esbuild version and these options, so that a
// second start transpiles nothing and loads no esbuild at all. Caching is best
// effort: a cache that cannot be written is skipped. Plain JavaScript, so that
// Node can load it as is.
//
// Also lets a TypeScript file import "./x.js" when only x.ts or x.tsx exists
// (TypeScript's convention for ES module projects). As on Deno, imports need their
// extension and TypeScript files are ES modules (no require, no .cts).
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const TYPESCRIPT = /\.(ts|mts|tsx)$/;
/** Bump when the transform options change: it is part of every cache key. */
const OPTIONS = "esnext-esm-inline-maps-1";
let cacheDir = "";
/** A linked remote module's file URL, and how linked modules import one another. */
const LINKED_FILE = /^file:\/\/.*\/linked\/[0-9a-f]{64}\.(mjs|json)$/;
const LINKED_IMPORT = /(^\.\/|\/linked\/)[0-9a-f]{64}\.(mjs|json)$/;
/** @type {string | undefined} */
let esbuildVersion;
/** @type {Promise<typeof import("esbuild")> | undefined} */
let esbuild;

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
  esbuildVersion ??= version();
  const key = createHash("sha256").update(`${url}\0${OPTIONS}\0${esbuildVersion}\0`).update(source).digest(
    "hex",
  );
  const cached = join(cacheDir, `${key}.mjs`);
  try {
    return { format: "module", source: await readFile(cached, "utf8"), shortCircuit: true };
  } catch {
    // Not transpiled yet.
  }
  esbuild ??= import("esbuild");
  const { transform } = await esbuild;
  const result = await transform(source, {
    loader: url.endsWith(".tsx") ? "tsx" : "ts",
    format: "esm",
    // esnext keeps import attributes (with { type: "json" }) and everything else as written.
    target: "esnext",
    sourcefile: path,
    sourcemap: "inline",
  });
  try {
    await mkdir(cacheDir, { recursive: true });
    const temporary = `${cached}.${process.pid}.tmp`;
    await writeFile(temporary, result.code);
    await rename(temporary, cached);
  } catch {
    // A cache that cannot be written costs a transpile per start, nothing else.
  }
  return { format: "module", source: result.code, shortCircuit: true };
}

/** esbuild's version, read from its package.json (without starting esbuild). */
function version() {
  try {
    const require = createRequire(import.meta.url);
    return JSON.parse(require("node:fs").readFileSync(require.resolve("esbuild/package.json"), "utf8"))
      .version;
  } catch {
    return "unknown";
  }
}
