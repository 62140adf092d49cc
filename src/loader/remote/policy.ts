/**
 * Which URLs may be loaded as plugins and what they import: `https:`, and plain
 * `http:` only to loopback hosts and hosts the config allows (as Deno's
 * `--allow-import` leaves local servers open). The one place for that rule: the
 * config's specifiers and the remote resolver both ask here.
 *
 * @module
 */

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** How many redirects a fetch or a lockfile's `redirects` may follow for one URL. */
export const MAX_REDIRECTS = 5;

/**
 * Whether a config entry names a remote plugin: `jsr:` or an http(s) URL.
 *
 * @param specifier As written in the config.
 * @returns True for a remote specifier.
 */
export function isRemoteSpecifier(specifier: string): boolean {
  return /^(jsr:|https?:)/i.test(specifier.trim());
}

/**
 * Whether plain `http:` may be used with a host.
 *
 * @param hostname The URL's host name (`127.0.0.1`, `[::1]`, `intranet.local`).
 * @param allowHttpHosts Hosts the config allows besides loopback ones.
 * @returns True for a loopback or allowed host.
 */
export function httpAllowed(hostname: string, allowHttpHosts: readonly string[]): boolean {
  return LOOPBACK.test(hostname) || allowHttpHosts.includes(hostname);
}

/**
 * Checks that a URL may be loaded remotely.
 *
 * @param url An absolute URL.
 * @param allowHttpHosts Hosts that may serve plain `http:` besides loopback ones.
 * @returns The URL.
 * @throws {Error} For another scheme, or plain `http:` to a host that is not allowed.
 */
export function checkRemoteUrl(url: string, allowHttpHosts: readonly string[]): string {
  const parsed = new URL(url);
  if (parsed.protocol === "https:") return url;
  if (parsed.protocol === "http:") {
    if (httpAllowed(parsed.hostname, allowHttpHosts)) return url;
    throw new Error(
      `plain http: is refused for host "${parsed.hostname}" (${url}); use https:, or add "${parsed.hostname}" to allowHttpHosts`,
    );
  }
  throw new Error(`cannot load ${url}: only https: and loopback http: URLs are loaded remotely`);
}
