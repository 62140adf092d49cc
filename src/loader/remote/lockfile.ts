/**
 * The lockfile, in Deno's `deno.lock` format (version 5), so that one file serves
 * both runtimes: Node reads and writes the entries Deno does (`specifiers`, `jsr`
 * integrity of the version metadata, `remote` hashes) and keeps every section it
 * does not use as it found it.
 *
 * @module
 */
import { host } from "../../runtime/host.ts";
import { dirname } from "../../runtime/path.ts";

/** The sections of a version 5 lock this library reads and writes. */
interface LockData {
  version: string;
  specifiers?: Record<string, string>;
  jsr?: Record<string, { integrity: string; dependencies?: string[] }>;
  redirects?: Record<string, string>;
  remote?: Record<string, string>;
  [section: string]: unknown;
}

type Section = "specifiers" | "jsr" | "remote" | "redirects";

/** The order Deno writes a lock's sections in. */
const SECTION_ORDER = ["version", "specifiers", "jsr", "npm", "redirects", "remote", "workspace"];

/** A `deno.lock` file, read once and written back atomically when it changed. */
export class Lockfile {
  /** The lockfile's path. */
  readonly path: string;
  private data: LockData;
  private changed = false;
  private saving: Promise<void> = Promise.resolve();
  /** What this process set, replayed onto the file's current content when saving. */
  private readonly changes: [Section, string, unknown][] = [];
  /** The file's text as this process last read or wrote it (null: no file). */
  private text: string | null;
  /** Another process wrote the file between this one's read and a write. */
  private foreign = false;

  private constructor(path: string, data: LockData, text: string | null) {
    this.path = path;
    this.data = data;
    this.text = text;
  }

  /**
   * The lock's text when this process's view of it is the whole story: what it read,
   * or what it last wrote, with no other process writing in between; undefined once
   * another process's entries were merged in. Null when there is no file.
   */
  get ownText(): string | null | undefined {
    return this.foreign ? undefined : this.text;
  }

  /**
   * Reads a lock; a missing file is an empty lock.
   *
   * @param path The lockfile's path.
   * @returns The lock.
   * @throws {Error} When the file is not JSON or not a version 5 lock.
   */
  static async read(path: string): Promise<Lockfile> {
    let text: string;
    try {
      text = await host.readTextFile(path);
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return new Lockfile(path, { version: "5" }, null);
      throw error;
    }
    let data: LockData;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new Error(`Cannot read lockfile "${path}": ${(error as Error).message}`);
    }
    if (data?.version !== "5") {
      throw new Error(
        `Cannot read lockfile "${path}": version ${JSON.stringify(data?.version)} is not supported; ` +
          `this library reads Deno 2's version 5 (delete the file to start a new one)`,
      );
    }
    return new Lockfile(path, data, text);
  }

  /** The version a `jsr:` requirement is pinned to, such as `1.2.0` for `jsr:@a/b@^1.2`. */
  specifier(key: string): string | undefined {
    return this.data.specifiers?.[key];
  }

  /** Pins a requirement to a version. */
  setSpecifier(key: string, version: string): void {
    this.set("specifiers", key, version);
  }

  /** The sha256 (hex) of a JSR package version's metadata, keyed `@scope/name@1.2.0`. */
  jsrIntegrity(nameAtVersion: string): string | undefined {
    return this.data.jsr?.[nameAtVersion]?.integrity;
  }

  /** Records a JSR package version's metadata hash. */
  setJsrIntegrity(nameAtVersion: string, integrity: string): void {
    const current = this.data.jsr?.[nameAtVersion];
    if (current?.integrity === integrity) return;
    this.set("jsr", nameAtVersion, { ...current, integrity });
  }

  /** Records that a JSR package version imports another package (`jsr:@scope/name`), as Deno does. */
  addJsrDependency(nameAtVersion: string, dependency: string): void {
    const current = this.data.jsr?.[nameAtVersion];
    if (current === undefined || current.dependencies?.includes(dependency)) return;
    this.set("jsr", nameAtVersion, {
      ...current,
      dependencies: [...(current.dependencies ?? []), dependency].sort(),
    });
  }

  /** The sha256 (hex) of a remote module. */
  remote(url: string): string | undefined {
    return this.data.remote?.[url];
  }

  /** Records a remote module's hash. */
  setRemote(url: string, hash: string): void {
    this.set("remote", url, hash);
  }

  /** Records a redirect. */
  setRedirect(from: string, to: string): void {
    this.set("redirects", from, to);
  }

  /** Where a URL redirects to, if recorded. */
  redirect(url: string): string | undefined {
    return this.data.redirects?.[url];
  }

  /**
   * Writes the lock if anything changed: sections in Deno's order, keys sorted,
   * two-space indentation, a final newline; through a temporary file and a rename.
   */
  save(): Promise<void> {
    // Saves run one after another, so that an older snapshot never lands last.
    this.saving = this.saving.then(() => this.write());
    return this.saving;
  }

  /** Writes the lock, merged with what is on disk, through a rename. */
  private async write(): Promise<void> {
    if (!this.changed) return;
    this.changed = false;
    // Another process may have written the lock since it was read: start from the
    // file as it is now and apply this process's entries on top, so none is lost.
    try {
      const current = await Lockfile.read(this.path);
      if (current.text !== this.text) this.foreign = true;
      for (const [section, key, value] of this.changes) {
        ((current.data[section] ??= {}) as Record<string, unknown>)[key] = value;
      }
      this.data = current.data;
    } catch {
      // Unreadable now: write what this process has.
      this.foreign = true;
    }
    const ordered: Record<string, unknown> = {};
    const sections = [...SECTION_ORDER, ...Object.keys(this.data).filter((k) => !SECTION_ORDER.includes(k))];
    for (const section of sections) {
      const value = this.data[section];
      if (value === undefined) continue;
      ordered[section] = section === "version" || section === "workspace" ? value : sortKeys(value);
    }
    await host.makeDir(dirname(this.path));
    const text = `${JSON.stringify(ordered, null, 2)}\n`;
    await host.writeFileAtomic(this.path, text);
    this.text = text;
  }

  /** Sets one entry, marking the lock changed when it differs. */
  private set(section: Section, key: string, value: unknown): void {
    const table = (this.data[section] ??= {}) as Record<string, unknown>;
    if (JSON.stringify(table[key]) === JSON.stringify(value)) return;
    table[key] = value;
    this.changes.push([section, key, value]);
    this.changed = true;
  }
}

const importSemver = async () => (await import("semver")).default;
let semverModule: ReturnType<typeof importSemver> | undefined;

/**
 * semver, imported on first use: it is many CommonJS files (about 14 ms to load),
 * and a cached run with the common range forms needs none of it.
 *
 * @returns The semver module.
 */
export function loadSemver(): ReturnType<typeof importSemver> {
  return semverModule ??= importSemver();
}

/**
 * The lock key of the common range forms (`*`, `1`, `^1`, `1.2`, `~1.2`, `1.2.3`),
 * worked out without semver; undefined for any other form.
 *
 * @param range A range as written after `@`.
 * @returns The key, or undefined when semver must decide.
 */
export function simpleRangeKey(range: string | undefined): string | undefined {
  const r = range?.trim();
  if (r === undefined || r === "" || r === "*") return "*";
  if (/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(r)) return r;
  const major = /^[~^]?(0|[1-9]\d*)$/.exec(r);
  if (major) return major[1];
  // ~1.2 and 1.2 are 1.2; ^0.2 is too, but ^1.2 means >=1.2.0 <2.0.0, keyed ^1.2.0.
  const minor = /^(?:~|\^(?=0\.))?((?:0|[1-9]\d*)\.(?:0|[1-9]\d*))$/.exec(r);
  if (minor) return minor[1];
  return undefined;
}

/**
 * The key Deno's lock uses for a version range: `^1.0.0` and `1.x` become `1`,
 * `~1.2.0` becomes `1.2`, other ranges are kept as written.
 *
 * @param range A range as written after `@`, or undefined.
 * @returns The key.
 */
export async function normaliseRange(range: string | undefined): Promise<string> {
  return simpleRangeKey(range) ?? normaliseWithSemver(await loadSemver(), range!);
}

/**
 * {@linkcode normaliseRange} with semver, for any form.
 *
 * @param semver The semver module.
 * @param range A range.
 * @returns The key.
 */
export function normaliseWithSemver(semver: Awaited<ReturnType<typeof importSemver>>, range: string): string {
  if (range.trim() === "" || range.trim() === "*") return "*";
  const exact = semver.valid(range);
  if (exact) return exact;
  let parsed: InstanceType<typeof semver.Range>;
  try {
    parsed = new semver.Range(range);
  } catch {
    return range;
  }
  if (parsed.set.length !== 1) return range;
  const comparators = parsed.set[0];
  // ^0, ~0, 0.x and the like parse to a bare upper bound (<1.0.0-0): Deno reads the
  // lower bound as 0.0.0 and keys them 0 (or 0.0), as shown by locks it wrote.
  const [low, high] = comparators.length === 1 ? [undefined, comparators[0]] : comparators;
  if (comparators.length > 2 || high.operator !== "<" || (low !== undefined && low.operator !== ">=")) {
    return range;
  }
  const a = low?.semver ?? new semver.SemVer("0.0.0");
  const b = high.semver;
  if (a.prerelease.length > 0) return range;
  if (a.minor === 0 && a.patch === 0 && b.major === a.major + 1 && b.minor === 0 && b.patch === 0) {
    return `${a.major}`;
  }
  if (a.patch === 0 && b.major === a.major && b.minor === a.minor + 1 && b.patch === 0) {
    return `${a.major}.${a.minor}`;
  }
  if (b.major === a.major + 1 && b.minor === 0 && b.patch === 0 && a.major > 0) return `^${a.version}`;
  if (b.major === a.major && b.minor === a.minor + 1 && b.patch === 0) return `~${a.version}`;
  return range;
}

function sortKeys(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]));
}
