/**
 * Subresource Integrity checks for plugins a config pins with `integrity`: local
 * files, npm packages and (on Node, and for Deno's pre-check) remote modules.
 *
 * @module
 */

const ALGORITHMS: Record<string, string> = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" };

/**
 * Checks bytes against an SRI hash such as `sha384-...`. Web Crypto: the same on
 * both runtimes, and no `node:crypto` on Deno's start-up path.
 *
 * @param what The file or URL, for the message.
 * @param noun `"file"` or `"module"`, for the message.
 * @param bytes The content.
 * @param sri The expected hash.
 * @throws {Error} For a malformed hash, or content that does not match it (naming both hashes).
 */
export async function verifySri(
  what: string,
  noun: "file" | "module",
  bytes: Uint8Array,
  sri: string,
): Promise<void> {
  const match = /^(sha256|sha384|sha512)-(.+)$/.exec(sri);
  if (!match) throw new Error(`integrity "${sri}" for ${what} is not an SRI hash such as "sha384-..."`);
  const digest = new Uint8Array(
    await crypto.subtle.digest(ALGORITHMS[match[1]], bytes as Uint8Array<ArrayBuffer>),
  );
  const actual = `${match[1]}-${btoa(String.fromCharCode(...digest))}`;
  if (actual !== sri) {
    throw new Error(`${what} does not match its integrity: the config says ${sri}, the ${noun} is ${actual}`);
  }
}
