/**
 * Verification: what a module or file must be before it runs. Subresource
 * Integrity for plugins a config pins with `integrity` (local files, npm packages
 * and remote modules), the checksums a JSR manifest or the lockfile records, and
 * a content type that is a module's. No `node:` import: local plugins with an
 * `integrity` are checked on Deno's start-up path.
 *
 * @module
 */
import type { RemoteSource } from "./fetch.ts";

const ALGORITHMS: Record<string, string> = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" };

/** What is being verified, for messages. */
export interface Subject {
  /** The file or URL. */
  readonly name: string;
  /** `"file"` or `"module"`. */
  readonly kind: "file" | "module";
}

/**
 * Checks bytes against an SRI hash such as `sha384-...`. Web Crypto: the same on
 * both runtimes, and no `node:crypto` on Deno's start-up path.
 *
 * @param bytes The content.
 * @param sri The expected hash.
 * @param subject The file or module, for the message.
 * @throws {Error} For a malformed hash, or content that does not match it (naming both hashes).
 */
export async function verifySri(bytes: Uint8Array, sri: string, subject: Subject): Promise<void> {
  const match = /^(sha256|sha384|sha512)-(.+)$/.exec(sri);
  if (!match) {
    throw new Error(`integrity "${sri}" for ${subject.name} is not an SRI hash such as "sha384-..."`);
  }
  const digest = new Uint8Array(
    await crypto.subtle.digest(ALGORITHMS[match[1]], bytes as Uint8Array<ArrayBuffer>),
  );
  const actual = `${match[1]}-${btoa(String.fromCharCode(...digest))}`;
  if (actual !== sri) {
    throw new Error(
      `${subject.name} does not match its integrity: the config says ${sri}, the ${subject.kind} is ${actual}`,
    );
  }
}

/**
 * Why a JSR file is not what its package's manifest says, if it is not.
 *
 * @param url The file's URL.
 * @param entry The manifest's entry for the file, if it has one.
 * @param hash The file's sha256, hex.
 * @returns The error, or undefined when the checksum matches.
 */
export function manifestProblem(
  url: string,
  entry: { checksum: string } | undefined,
  hash: string,
): Error | undefined {
  if (entry === undefined) return new Error(`${url} is not in the package's manifest`);
  if (entry.checksum === `sha256-${hash}`) return undefined;
  return new Error(
    `checksum mismatch for ${url}: the package manifest says ${entry.checksum}, the file is sha256-${hash}; ` +
      `the registry or the cache was tampered with`,
  );
}

/**
 * Why a remote module is not what the lockfile records, if it is not.
 *
 * @param url The module's URL.
 * @param lock The lockfile's path and the hash it records for the URL (undefined: none yet).
 * @param hash The module's sha256, hex.
 * @returns The error, or undefined when the lock records nothing or the same hash.
 */
export function lockProblem(
  url: string,
  lock: { readonly path: string; readonly expected: string | undefined },
  hash: string,
): Error | undefined {
  if (lock.expected === undefined || lock.expected === hash) return undefined;
  return new Error(
    `integrity check failed for ${url}: the lockfile ${lock.path} has ${lock.expected}, the module is ${hash}; ` +
      `if the change is expected, delete that entry from the lockfile and load again`,
  );
}

const TS_TYPES = new Set([
  "application/typescript",
  "text/typescript",
  "application/x-typescript",
  "video/vnd.dlna.mpeg-tts",
  "video/mp2t",
  "text/tsx",
  "application/x-tsx",
]);
const JS_TYPES = new Set([
  "application/javascript",
  "text/javascript",
  "application/ecmascript",
  "text/ecmascript",
  "application/x-javascript",
  "application/node",
  "text/jsx",
]);
const BY_EXTENSION = new Set(["", "text/plain", "application/octet-stream"]);

/** The kinds of module a response may be. */
export type ModuleKind = "ts" | "tsx" | "js" | "jsx" | "json";

/**
 * What kind of module a response is, from its content type (and, for generic
 * types, the URL's extension), as Deno tells media types apart.
 *
 * @param url The module's URL.
 * @param source The response.
 * @returns The kind.
 * @throws {Error} For a type that is not a module's, naming the URL and the type.
 */
export function moduleKind(url: string, source: RemoteSource): ModuleKind {
  const extension = /\.([a-z]+)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase() ?? "";
  let kind: ModuleKind | undefined;
  if (TS_TYPES.has(source.contentType)) {
    kind = extension === "tsx" || source.contentType.endsWith("tsx") ? "tsx" : "ts";
  } else if (JS_TYPES.has(source.contentType)) {
    kind = extension === "jsx" || source.contentType === "text/jsx" ? "jsx" : "js";
  } else if (source.contentType === "application/json" || source.contentType === "text/json") kind = "json";
  else if (BY_EXTENSION.has(source.contentType)) {
    kind = ({ ts: "ts", mts: "ts", tsx: "tsx", js: "js", mjs: "js", jsx: "jsx", json: "json" } as const)[
      extension as "ts"
    ];
  }
  if (kind === undefined) {
    throw new Error(
      `${url} was served as "${source.contentType || "no content type"}", which is not a module type; ` +
        `serve TypeScript as application/typescript or JavaScript as text/javascript`,
    );
  }
  return kind;
}
