/**
 * The disk cache of fetched remote modules (and JSR metadata), keyed by URL.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { host } from "../../runtime/host.ts";
import { join } from "../../runtime/path.ts";
import type { RemoteSource } from "./fetch.ts";

/**
 * A folder of fetched responses, keyed by the sha256 of the URL. Each entry is one
 * file: a line of JSON (URL, content type, the body's sha256), then the body. It
 * is written through a rename, so that a crash never leaves half a file behind,
 * and read in one go (a cached run reads one per module).
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
      data = new Uint8Array(await host.readFile(join(this.dir, `${key}.entry`)));
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
      const meta = JSON.parse(await host.readTextFile(join(this.dir, `${key}.json`)));
      const body = new Uint8Array(await host.readFile(join(this.dir, `${key}.body`)));
      if (meta.sha256 !== sha256Hex(body)) return undefined;
      return { url: meta.url, body, contentType: meta.contentType };
    } catch {
      return undefined;
    }
  }

  /** Stores a response for `url`. */
  async put(url: string, source: RemoteSource): Promise<void> {
    const key = sha256Hex(url);
    await host.makeDir(this.dir);
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
 * The sha256 of text or bytes, as lower-case hex (Deno's lock format).
 *
 * @param data Text or bytes.
 * @returns The hex digest.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
