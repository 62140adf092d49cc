/**
 * Fetching remote modules: redirects followed only within one origin (at most
 * {@linkcode MAX_REDIRECTS}), a deadline per request, and errors that name the URL
 * and what to do.
 *
 * @module
 */
import { MAX_REDIRECTS } from "./policy.ts";

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
 * Fetches `url`, following redirects only to the same origin (at most {@linkcode MAX_REDIRECTS}).
 *
 * @param url The URL.
 * @param timeoutMs Deadline for each request; default 30 s.
 * @returns The body and content type.
 * @throws {Error} For a refused connection, an HTTP error status, or a redirect to another origin.
 */
export async function fetchSource(url: string, timeoutMs = 30_000): Promise<RemoteSource> {
  let current = url;
  const redirects: [string, string][] = [];
  for (let hops = 0; hops <= MAX_REDIRECTS; hops++) {
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
  throw new Error(`${url} redirects more than ${MAX_REDIRECTS} times`);
}
