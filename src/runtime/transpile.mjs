// @ts-self-types="./transpile.d.mts"
// @ts-check
// The project's one transpile cache: TypeScript (and JSX) to JavaScript with
// esbuild (types stripped, nothing checked), kept in files keyed by the source,
// its name, the loader, the esbuild version and these options, so that a second
// start transpiles nothing and loads no esbuild at all. Local TypeScript on Node
// (./node-typescript.mjs) and remote modules (src/loader/remote/transpile.ts) both
// come here. Caching is best effort: a cache that cannot be written costs a
// transpile per start, nothing else. Plain JavaScript, so that Node's loader
// thread can load it before any TypeScript loader is in place.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Bump when the transform options change: it is part of every cache key. */
const OPTIONS = "esnext-esm-inline-maps-1";

/** The library's own cache folder, where bin/register.mjs points the TypeScript loader too. */
export const defaultCacheDir = fileURLToPath(
  new URL("../../node_modules/.cache/bernstein-ts", import.meta.url),
);

/** @type {string | undefined} */
let esbuildVersion;
/** @type {Promise<typeof import("esbuild")> | undefined} */
let esbuild;

/**
 * @param {string} source
 * @param {{ loader: "ts" | "tsx" | "jsx"; sourcefile: string; cacheDir?: string }} options
 * @returns {Promise<string>}
 */
export async function transpile(source, options) {
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  esbuildVersion ??= version();
  const key = createHash("sha256")
    .update(`${options.sourcefile}\0${options.loader}\0${OPTIONS}\0${esbuildVersion}\0`)
    .update(source)
    .digest("hex");
  const cached = join(cacheDir, `${key}.mjs`);
  try {
    return await readFile(cached, "utf8");
  } catch {
    // Not transpiled yet.
  }
  esbuild ??= import("esbuild");
  const { transform } = await esbuild;
  const result = await transform(source, {
    loader: options.loader,
    format: "esm",
    // esnext keeps import attributes (with { type: "json" }) and everything else as written.
    target: "esnext",
    sourcefile: options.sourcefile,
    sourcemap: "inline",
  });
  try {
    await mkdir(cacheDir, { recursive: true });
    // A temporary file and a rename, as the host's atomic write (this file cannot import TypeScript).
    const temporary = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temporary, result.code);
    await rename(temporary, cached);
  } catch {
    // A cache that cannot be written costs a transpile per start, nothing else.
  }
  return result.code;
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
