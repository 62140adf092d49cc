/**
 * Fetching remote modules for Node: a disk cache with atomic writes, redirects
 * followed only within one origin, and errors that name the URL and what to do.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";

/** A fetched (or cached) response body. */
export interface RemoteSource {
  /** The URL finally answered, after same-origin redirects. */
  readonly url: string;
  /** The body bytes. */
  readonly body: Uint8Array;
  /** The Content-Type header, lower-cased, without parameters. */
  readonly contentType: string;
}

/**
 * A folder of fetched responses, keyed by the sha256 of the URL. Each entry is a
 * body file and a small JSON file beside it, both written through a rename so that
 * a crash never leaves half a file behind.
 */
export class DiskCache {
  /**
   * A cache in `dir`, created on first write.
   *
   * @param dir The cache folder; created on first write.
   */
  constructor(readonly dir: string) {}

  /** The cached response for `url`, if any and intact (a damaged entry counts as missing). */
  async get(url: string): Promise<RemoteSource | undefined> {
    const key = sha256Hex(url);
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
    await atomicWrite(join(this.dir, `${key}.body`), source.body);
    await atomicWrite(
      join(this.dir, `${key}.json`),
      JSON.stringify({ url: source.url, contentType: source.contentType, sha256: sha256Hex(source.body) }),
    );
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
      current = target.href;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`${current} answered HTTP ${response.status} ${response.statusText}`.trimEnd());
    }
    const contentType = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    return { url: current, body: new Uint8Array(await response.arrayBuffer()), contentType };
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

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
