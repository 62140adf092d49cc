/**
 * npm packages: find an installed package from the config's folder upward, check
 * its version against the range, and resolve its entry through `exports`.
 * The same on Deno and Node, so both load the same file.
 *
 * @module
 */
import { dirname, join, resolve } from "../runtime/path.ts";
import { fileUrl, host } from "../runtime/mod.ts";
import type { PackageParts } from "./specifier.ts";

/** An installed package, resolved. */
export interface ResolvedPackage {
  /** `file:` URL of the module to import. */
  readonly url: string;
  /** Installed version. */
  readonly version: string;
  /** The package's folder. */
  readonly dir: string;
}

/** The fields of package.json the loader reads. */
export interface PackageJson {
  /** The package name. */
  name?: string;
  /** The installed version. */
  version?: string;
  /** The entry point without exports. */
  main?: string;
  /** The exports map. */
  exports?: unknown;
  /** Keywords (bernstein-plugin marks a plugin). */
  keywords?: string[];
  /** The plugin entry a package declares for discovery. */
  bernstein?: string | { plugin?: string };
}

/**
 * Finds an installed package and the module a specifier names.
 *
 * @param parts Package name (such as `@acme/bernstein-slack`), the version range the
 * installed version must satisfy, if any, and the path inside the package, if any.
 * @param fromDir Folder to search from (the config's), then its parents.
 * @returns The module's URL and the installed version.
 * @throws {Error} Saying what to install when the package is missing or its version does not satisfy the range.
 */
export async function resolveNpm(parts: PackageParts, fromDir: string): Promise<ResolvedPackage> {
  const { name, range, subpath } = parts;
  const install = `npm install ${name}${range ? `@${range}` : ""}`;
  // semver is loaded only when a range is given: it is many CommonJS files, slow for Deno to start.
  const semver = range === undefined ? undefined : (await import("semver")).default;
  if (range !== undefined && semver!.validRange(range) === null) {
    throw new Error(`"${range}" is not a valid version range`);
  }
  const dir = await findPackageDir(name, fromDir);
  if (dir === undefined) {
    throw new Error(`package "${name}" is not installed in "${fromDir}" or its parents: run ${install}`);
  }
  const pkg = await readPackageJson(dir);
  const version = pkg.version ?? "0.0.0";
  if (range !== undefined && !semver!.satisfies(version, range, { includePrerelease: true })) {
    throw new Error(`installed ${name}@${version} does not satisfy ${range}: run ${install}`);
  }
  const target = resolveEntry(pkg, subpath);
  if (target === undefined) {
    throw new Error(
      subpath
        ? `package "${name}" does not export "./${subpath}"; check its package.json "exports"`
        : `package "${name}" has no entry for import; check its package.json "exports" or "main"`,
    );
  }
  return { url: fileUrl(resolve(dir, target)), version, dir };
}

/**
 * Reads and parses a package.json.
 *
 * @param dir The package folder.
 * @returns Its contents.
 */
export async function readPackageJson(dir: string): Promise<PackageJson> {
  return JSON.parse(await host.readTextFile(join(dir, "package.json")));
}

/**
 * Resolves the file a package exports for `subpath`, as Node does for `import`
 * (conditions `deno` on Deno, then `node`, `import`, `default`), with `main` as the
 * fallback for packages without `exports`.
 *
 * @param pkg The package.json.
 * @param subpath Path inside the package, or undefined for the main entry.
 * @returns The target relative to the package folder, or undefined.
 */
export function resolveEntry(pkg: PackageJson, subpath: string | undefined): string | undefined {
  const key = subpath ? `./${subpath}` : ".";
  if (pkg.exports === undefined) {
    if (subpath) return subpath;
    return pkg.main ?? "index.js";
  }
  const exports = pkg.exports;
  const isSubpathMap = typeof exports === "object" && exports !== null && !Array.isArray(exports) &&
    Object.keys(exports).some((k) => k.startsWith("."));
  if (!isSubpathMap) return key === "." ? pickTarget(exports) : undefined;
  const map = exports as Record<string, unknown>;
  if (key in map) return pickTarget(map[key]);
  let best: { prefix: string; suffix: string; target: unknown } | undefined;
  for (const [pattern, target] of Object.entries(map)) {
    const star = pattern.indexOf("*");
    if (star < 0) continue;
    const prefix = pattern.slice(0, star);
    const suffix = pattern.slice(star + 1);
    if (key.startsWith(prefix) && key.endsWith(suffix) && key.length >= pattern.length - 1) {
      if (!best || prefix.length > best.prefix.length) best = { prefix, suffix, target };
    }
  }
  if (!best) return undefined;
  const matched = key.slice(best.prefix.length, key.length - best.suffix.length);
  return pickTarget(best.target)?.replaceAll("*", matched);
}

function pickTarget(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const item of target) {
      const picked = pickTarget(item);
      if (picked !== undefined) return picked;
    }
    return undefined;
  }
  if (typeof target === "object" && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (!host.exportConditions.includes(condition)) continue;
      const picked = pickTarget(value);
      if (picked !== undefined) return picked;
    }
  }
  return undefined;
}

async function findPackageDir(name: string, fromDir: string): Promise<string | undefined> {
  let dir = resolve(host.cwd(), fromDir);
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    // Not here (or not readable): try the parent.
    if (await host.kindOf(join(candidate, "package.json")).catch(() => undefined) === "file") {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
