/**
 * Discovery, the npm analogue of ADR-007's entry points: installed packages that
 * declare themselves Bernstein plugins are found without being listed.
 *
 * A package declares itself with a `bernstein` field in its package.json (the
 * entry path, or `{ "plugin": "./entry.js" }`), or with the keyword
 * `bernstein-plugin` (then its main entry is loaded).
 *
 * @module
 */
import { join } from "../runtime/path.ts";
import { host } from "../runtime/mod.ts";
import { type PackageJson, readPackageJson } from "./npm.ts";

/** A package that declared itself a plugin. */
export interface DiscoveredPlugin {
  /** Package name. */
  readonly name: string;
  /** Specifier to load it with: `npm:name`, or the absolute path its `bernstein` field names. */
  readonly specifier: string;
}

/**
 * Lists the plugin packages installed in `<dir>/node_modules`, sorted by name so
 * that the order is stable.
 *
 * @param dir The config's folder.
 * @returns The packages found; none when there is no node_modules.
 */
export async function discoverPlugins(dir: string): Promise<DiscoveredPlugin[]> {
  const root = join(dir, "node_modules");
  const folders: string[] = [];
  for (const name of await list(root)) {
    if (name.startsWith(".")) continue;
    if (name.startsWith("@")) {
      for (const inner of await list(join(root, name))) folders.push(`${name}/${inner}`);
    } else folders.push(name);
  }
  const found: DiscoveredPlugin[] = [];
  for (const folder of folders.sort()) {
    let pkg: PackageJson;
    try {
      pkg = await readPackageJson(join(root, folder));
    } catch {
      continue; // not a package folder
    }
    const name = pkg.name ?? folder;
    const entry = typeof pkg.bernstein === "string" ? pkg.bernstein : pkg.bernstein?.plugin;
    if (entry !== undefined) {
      // The field names a file inside the package, whatever its "exports" allow.
      found.push({ name, specifier: join(root, folder, entry) });
    } else if (pkg.keywords?.includes("bernstein-plugin")) {
      found.push({ name, specifier: `npm:${name}` });
    }
  }
  return found;
}

async function list(dir: string): Promise<string[]> {
  try {
    return await host.readDir(dir);
  } catch {
    return [];
  }
}
