// @ts-check
// TypeScript for Node without tsx: module loader hooks that transpile .ts, .mts
// and .tsx files with esbuild (types stripped, nothing checked) and keep the output
// in a cache keyed by the source's hash, so that a second start transpiles nothing
// and loads no esbuild at all. Plain JavaScript, so that Node can load it as is.
// Also lets a TypeScript file import "./x.js" when only x.ts exists (TypeScript's
// own convention for NodeNext projects).
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const TYPESCRIPT = /\.(ts|mts|tsx)$/;
let cacheDir = "";
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
  try {
    return await next(specifier, context);
  } catch (error) {
    const parent = context.parentURL ?? "";
    if (
      /** @type {{ code?: string }} */ (error).code === "ERR_MODULE_NOT_FOUND" &&
        TYPESCRIPT.test(parent) && /^\.{1,2}\/.*\.(m?)js$/.test(specifier)
    ) {
      return await next(specifier.replace(/\.(m?)js$/, ".$1ts"), context);
    }
    throw error;
  }
}

/**
 * @param {string} url
 * @param {object} context
 * @param {(url: string, context?: object) => Promise<{ format: string; source?: unknown }>} next
 */
export async function load(url, context, next) {
  if (!url.startsWith("file:") || !TYPESCRIPT.test(url.split("?")[0])) return next(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, "utf8");
  const key = createHash("sha256").update(url).update("\0").update(source).digest("hex");
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
    target: "es2022",
    sourcefile: path,
    sourcemap: "inline",
  });
  await mkdir(cacheDir, { recursive: true });
  const temporary = `${cached}.${process.pid}.tmp`;
  await writeFile(temporary, result.code);
  await rename(temporary, cached);
  return { format: "module", source: result.code, shortCircuit: true };
}
