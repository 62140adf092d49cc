/**
 * Path functions without `node:path`, for code on Deno's start-up path (see
 * `./host.ts`). Paths use `/`. On Windows, `\` separates too, and a drive letter
 * (`C:/`) or a share (`//server/share`) is the root; paths come back with `/`,
 * which both runtimes accept. Elsewhere `\` is an ordinary character.
 *
 * (pathe would serve, but it reads `globalThis.process` as it loads, and on Deno
 * that alone starts the Node compatibility layer this module exists to avoid.)
 *
 * @module
 */
import { host } from "./host.ts";

/** A Windows root: a drive letter, or a share (`//server/share`). */
const ROOT = /^(?:[A-Za-z]:|\/\/[^/]+\/[^/]+)/;

function slashes(path: string): string {
  return host.windows ? path.replaceAll("\\", "/") : path;
}

/** The root prefix the slash after it belongs to (a drive or a share), or "". */
function rootOf(path: string): string {
  return host.windows ? ROOT.exec(path)?.[0] ?? "" : "";
}

/**
 * Whether a path is absolute: `/…`, or `C:/…` / `C:\…`.
 *
 * @param path A path.
 * @returns True when absolute.
 */
export function isAbsolute(path: string): boolean {
  const p = slashes(path);
  return p.startsWith("/") || (host.windows && /^[A-Za-z]:\//.test(p));
}

/**
 * Collapses `.`, `..` and repeated slashes.
 *
 * @param path A path.
 * @returns The normal form (`.` for an empty relative path).
 */
export function normalize(path: string): string {
  const p = slashes(path);
  const drive = rootOf(p);
  const rest = p.slice(drive.length);
  const absolute = rest.startsWith("/") || drive.startsWith("//");
  const parts: string[] = [];
  for (const part of rest.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!absolute) parts.push("..");
      continue;
    }
    parts.push(part);
  }
  const body = parts.join("/");
  if (absolute) return `${drive}/${body}`;
  return drive + (body || ".");
}

/**
 * Joins segments and normalises the result.
 *
 * @param segments Path segments.
 * @returns The joined path.
 */
export function join(...segments: string[]): string {
  return normalize(segments.filter((s) => s !== "").join("/"));
}

/**
 * Resolves segments right to left until a path is absolute; the working
 * directory is the base when none is.
 *
 * @param segments Path segments.
 * @returns An absolute, normalised path.
 */
export function resolve(...segments: string[]): string {
  let resolved = "";
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i];
    if (segment === "") continue;
    resolved = resolved === "" ? segment : `${segment}/${resolved}`;
    if (isAbsolute(segment)) return normalize(resolved);
  }
  return normalize(`${host.cwd()}/${resolved}`);
}

/**
 * The folder part of a path.
 *
 * @param path A path.
 * @returns Everything before the last segment (`/` for a root, `.` for a bare name).
 */
export function dirname(path: string): string {
  const p = normalize(path);
  const drive = rootOf(p);
  const cut = p.lastIndexOf("/");
  if (cut === -1) return drive || ".";
  if (cut === drive.length) return `${drive}/`;
  return p.slice(0, cut);
}

/**
 * The extension of the last segment, with its dot.
 *
 * @param path A path.
 * @returns `.ts`, or `""` when there is none (or the name starts with its only dot).
 */
export function extname(path: string): string {
  const name = slashes(path).split("/").pop() ?? "";
  const dot = name.lastIndexOf(".");
  return dot <= 0 || name === ".." ? "" : name.slice(dot);
}

/**
 * The path from one absolute path to another.
 *
 * @param from Where to start.
 * @param to Where to go.
 * @returns A relative path (`""` when they are the same).
 */
export function relative(from: string, to: string): string {
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...Array(a.length - common).fill(".."), ...b.slice(common)].join("/");
}

/**
 * Whether two absolute paths name the same file by their spelling: compared
 * without regard to case where the file system ignores it (Windows: `C:` and `c:`).
 *
 * @param a A path.
 * @param b Another.
 * @returns True when they are spelt alike.
 */
export function samePath(a: string, b: string): boolean {
  return host.caseInsensitivePaths ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/**
 * A path as messages show it: relative to the working directory when it lies
 * inside it, else as given.
 *
 * @param path An absolute path.
 * @returns The path to show.
 */
export function displayPath(path: string): string {
  const rel = relative(host.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}
