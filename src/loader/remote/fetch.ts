/**
 * Fetching remote modules for Node: a disk cache with atomic writes, redirects
 * followed only within one origin, and errors that name the URL and what to do.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { host } from "../../runtime/host.ts";

/** A fetched (or cached) response body. */
export interface RemoteSource {
  /** The URL finally answered, after same-origin redirects. */
  readonly url: string;
  /** The body bytes. */
  readonly body: Uint8Array;
  /** The Content-Type header, lower-cased, without parameters. */
  readonly contentType: string;
  /** For a fresh fetch, each redirect followed, in order, as [from, to] (not kept in the cache). */
  readonly redirects?: readonly (readonly [string, string])[];
}

/**
 * A folder of fetched responses, keyed by the sha256 of the URL. Each entry is one
 * file: a line of JSON (URL, content type, the body's sha256), then the body. It
 * is written through a rename, so that a crash never leaves half a file behind,
 * and read in one go (a cached run reads one per module and one per compiled form).
 * Entries of the earlier two-file layout (`.json` beside `.body`) are still read.
 */
export class DiskCache {
  /** The cache folder. */
  readonly dir: string;

  /**
   * A cache in `dir`, created on first write.
   *
   * @param dir The cache folder; created on first write.
   */
  constructor(dir: string) {
    this.dir = dir;
  }

  /** The cached response for `url`, if any and intact (a damaged entry counts as missing). */
  async get(url: string): Promise<RemoteSource | undefined> {
    const key = sha256Hex(url);
    let data: Uint8Array;
    try {
      data = new Uint8Array(await readFile(join(this.dir, `${key}.entry`)));
    } catch {
      return await this.getTwoFiles(key);
    }
    const newline = data.indexOf(10);
    if (newline < 0) return undefined;
    try {
      const meta = JSON.parse(new TextDecoder().decode(data.subarray(0, newline)));
      const body = data.slice(newline + 1);
      if (meta.sha256 !== sha256Hex(body)) return undefined;
      return { url: meta.url, body, contentType: meta.contentType };
    } catch {
      return undefined;
    }
  }

  /** An entry in the earlier layout: a `.json` file beside a `.body` file. */
  private async getTwoFiles(key: string): Promise<RemoteSource | undefined> {
    try {
      const meta = JSON.parse(await readFile(join(this.dir, `${key}.json`), "utf8"));
      const body = new Uint8Array(await readFile(join(this.dir, `${key}.body`)));
      if (meta.sha256 !== sha256Hex(body)) return undefined;
      return { url: meta.url, body, contentType: meta.contentType };
    } catch {
      return undefined;
    }
  }

  /** Stores a response for `url`. */
  async put(url: string, source: RemoteSource): Promise<void> {
    const key = sha256Hex(url);
    await mkdir(this.dir, { recursive: true });
    const meta = JSON.stringify({
      url: source.url,
      contentType: source.contentType,
      sha256: sha256Hex(source.body),
    });
    const header = new TextEncoder().encode(`${meta}\n`);
    const data = new Uint8Array(header.length + source.body.length);
    data.set(header);
    data.set(source.body, header.length);
    await host.writeFileAtomic(join(this.dir, `${key}.entry`), data);
  }
}

/**
 * Fetches `url`, following redirects only to the same origin (at most five).
 *
 * @param url The URL.
 * @param timeoutMs Deadline for each request; default 30 s.
 * @returns The body and content type.
 * @throws {Error} For a refused connection, an HTTP error status, or a redirect to another origin.
 */
export async function fetchSource(url: string, timeoutMs = 30_000): Promise<RemoteSource> {
  let current = url;
  const redirects: [string, string][] = [];
  for (let hops = 0; hops <= 5; hops++) {
    let response: Response;
    try {
      response = await fetch(current, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if ((error as Error).name === "TimeoutError") {
        throw new Error(`${current} gave no answer within ${timeoutMs / 1000} s; is the server up?`);
      }
      const code = (error as { cause?: { code?: string } }).cause?.code;
      throw new Error(
        `cannot reach ${new URL(current).origin}${
          code ? ` (${code})` : ""
        }: is the server running, and is the URL right?`,
      );
    }
    if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
      const target = new URL(response.headers.get("location")!, current);
      await response.body?.cancel();
      if (target.origin !== new URL(current).origin) {
        throw new Error(
          `${current} redirects to ${target.href}, on another host; the redirect is refused: ` +
            `use the final URL in the config if you trust that host`,
        );
      }
      redirects.push([current, target.href]);
      current = target.href;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`${current} answered HTTP ${response.status} ${response.statusText}`.trimEnd());
    }
    const contentType = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    return { url: current, body: new Uint8Array(await response.arrayBuffer()), contentType, redirects };
  }
  throw new Error(`${url} redirects more than 5 times`);
}

/**
 * The sha256 of text or bytes, as lower-case hex (Deno's lock format).
 *
 * @param data Text or bytes.
 * @returns The hex digest.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
