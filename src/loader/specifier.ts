/**
 * Plugin specifiers: what a config entry may name and how each form is read.
 *
 * @module
 */
import { isAbsolute, resolve } from "../runtime/path.ts";
import { filePath, fileUrl } from "../runtime/mod.ts";
import { httpAllowed } from "./remote/policy.ts";

/** A specifier, parsed. */
export type ParsedSpecifier =
  | { readonly kind: "file"; readonly url: string; readonly path: string }
  | { readonly kind: "npm"; readonly name: string; readonly range?: string; readonly subpath?: string }
  | {
    readonly kind: "jsr";
    readonly name: string;
    readonly range?: string;
    readonly subpath?: string;
    /** The specifier in one spelling (`jsr:@scope/name@range/subpath`): what is imported, and SRI's key. */
    readonly specifier: string;
  }
  | { readonly kind: "url"; readonly url: string };

/** The forms a specifier may take, for error messages and help. */
export const ACCEPTED_FORMS: string =
  "./relative/path.ts or ../path (relative to the config file), /absolute/path.ts, file:///path.ts, " +
  "npm:name[@range][/subpath], a bare package name, jsr:@scope/name[@range][/subpath], https://host/path.ts, " +
  "and http://127.0.0.1/... (http only for loopback hosts and hosts in allowHttpHosts)";

const PACKAGE = /^((?:@[a-z0-9][\w.~-]*\/)?[a-z0-9~][\w.~-]*)(?:@([^/]+))?(?:\/(.+))?$/i;

/** A package specifier's parts: `@scope/name@range/subpath`. */
export interface PackageParts {
  /** The package name, with its scope. */
  readonly name: string;
  /** The version range after `@`, if any. */
  readonly range?: string;
  /** The path inside the package, if any. */
  readonly subpath?: string;
}

/**
 * Splits what follows `npm:` or `jsr:` (leading slashes allowed, as in `npm:/x`),
 * or a bare package name, into its parts.
 *
 * @param text The specifier without its scheme.
 * @returns The parts, or undefined when the text is not a package specifier.
 */
export function splitPackage(text: string): PackageParts | undefined {
  const match = PACKAGE.exec(text.replace(/^\/+/, ""));
  return match ? { name: match[1], range: match[2], subpath: match[3] } : undefined;
}

/**
 * Reads a `jsr:` specifier, in a config or in an import inside a remote module.
 *
 * @param spec The specifier, starting with `jsr:`.
 * @param written The specifier as written, for the message; default `spec`.
 * @returns The parts and the specifier in one spelling (`jsr:@scope/name@range/subpath`).
 * @throws {Error} For a specifier that is not `jsr:@scope/name[@range][/subpath]`.
 */
export function parseJsr(
  spec: string,
  written: string = spec,
): PackageParts & { readonly specifier: string } {
  const parts = splitPackage(spec.slice(4));
  if (parts === undefined || !parts.name.startsWith("@")) {
    throw new Error(`"${written}" is not a valid jsr: specifier; write jsr:@scope/name[@range][/subpath]`);
  }
  const { name, range, subpath } = parts;
  return {
    name,
    range,
    subpath,
    specifier: `jsr:${name}${range ? `@${range}` : ""}${subpath ? `/${subpath}` : ""}`,
  };
}

/**
 * Reads a specifier as written in a config.
 *
 * @param raw The specifier.
 * @param baseDir Folder relative paths are resolved against: the config file's.
 * @param allowHttpHosts Hosts that may serve plain `http:` besides loopback ones.
 * @returns The parsed form.
 * @throws {Error} With a message that says what is wrong and lists {@linkcode ACCEPTED_FORMS}.
 */
export function parseSpecifier(
  raw: string,
  baseDir: string,
  allowHttpHosts: readonly string[] = [],
): ParsedSpecifier {
  const spec = raw.trim();
  // The common case, ./name.ts or ./dir/name.ts of plain characters beside a plain
  // folder, joined without path normalisation (100 plugins: 100 times per start).
  if (PLAIN_RELATIVE.test(spec) && PLAIN_DIR.test(baseDir)) {
    const path = `${baseDir}${spec.slice(1)}`;
    return { kind: "file", path, url: fileUrl(path) };
  }
  if (spec.startsWith("./") || spec.startsWith("../") || spec === "." || spec === "..") {
    const path = resolve(baseDir, spec);
    return { kind: "file", path, url: fileUrl(path) };
  }
  if (isAbsolute(spec) && !/^[a-z][a-z0-9+.-]+:/i.test(spec)) {
    return { kind: "file", path: spec, url: fileUrl(resolve(spec)) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(spec)?.[1]?.toLowerCase();
  if (scheme === "file") {
    const path = filePath(spec);
    return { kind: "file", path, url: fileUrl(resolve(path)) };
  }
  if (scheme === "npm") {
    const parts = splitPackage(spec.slice(4));
    if (!parts) throw new Error(`"${raw}" is not a valid npm: specifier; write npm:name[@range][/subpath]`);
    return { kind: "npm", ...parts };
  }
  if (scheme === "jsr") return { kind: "jsr", ...parseJsr(spec, raw) };
  if (scheme === "https" || scheme === "http") {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      throw new Error(`"${raw}" is not a valid URL`);
    }
    if (scheme === "http" && !httpAllowed(url.hostname, allowHttpHosts)) {
      throw new Error(
        `plain http: is refused for host "${url.hostname}"; use https:, or add "${url.hostname}" to allowHttpHosts in the config`,
      );
    }
    return { kind: "url", url: url.href };
  }
  if (scheme === undefined) {
    // Absolute paths were taken above, so no leading slash is dropped here.
    const parts = splitPackage(spec);
    if (parts && parts.range === undefined) return { kind: "npm", name: parts.name, subpath: parts.subpath };
    if (parts) throw new Error(`a bare package name cannot carry a version range; write "npm:${spec}"`);
  }
  throw new Error(`unsupported specifier "${raw}"; the accepted forms are ${ACCEPTED_FORMS}`);
}

/** `./` and then segments of URL-safe characters, none of them `.` or `..`, no empty one. */
const PLAIN_RELATIVE = /^\.(?:\/(?!\.\.?(?:\/|$))[\w.@+-]+)+$/;
/** An absolute POSIX folder of URL-safe characters, without a trailing slash or `.`/`..` segments. */
const PLAIN_DIR = /^(?:\/(?!\.\.?(?:\/|$))[\w.@+-]+)+$/;
