// Temporary projects for loader tests: a folder with a config file, fixture plugins
// and a node_modules holding fixture packages, removed by the test that made it.
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The fixtures folder. */
export const FIXTURES: string = resolve(fileURLToPath(new URL("./fixtures", import.meta.url)));

/** A temporary project. */
export interface TempProject {
  /** Its folder. */
  readonly dir: string;
  /** Writes a file relative to the folder and returns its absolute path. */
  write(path: string, content: string): Promise<string>;
  /** Copies a fixture package into node_modules. */
  install(pkg: string): Promise<void>;
  /** Removes the folder. */
  remove(): Promise<void>;
}

/** Makes a temporary project folder. */
export async function tempProject(): Promise<TempProject> {
  const dir = await mkdtemp(join(tmpdir(), "bernstein-project-"));
  return {
    dir,
    async write(path, content) {
      const file = join(dir, path);
      await mkdir(resolve(file, ".."), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    async install(pkg) {
      await cp(join(FIXTURES, "packages", pkg), join(dir, "node_modules", pkg), { recursive: true });
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A JSON config listing `plugins`, with fixture plugin paths made absolute. */
export function jsonConfig(config: Record<string, unknown>): string {
  return JSON.stringify(config, null, 2);
}

/** Absolute path of a fixture plugin. */
export function fixturePlugin(name: string): string {
  return join(FIXTURES, "plugins", name);
}
