// Loopback servers for loader tests: a plain module host and a fake JSR registry.
// Both bind 127.0.0.1 on a free port, count the requests they receive, and are
// closed by the test that started them.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A running loopback server. */
export interface TestServer {
  /** Base URL, such as `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Paths requested so far, in order. */
  readonly requests: string[];
  /** Stops the server. */
  close(): Promise<void>;
}

/** One file a module host serves. */
export interface HostedFile {
  /** Body. */
  body: string;
  /** Content-Type; default `application/typescript`. */
  type?: string;
  /** HTTP status; default 200. */
  status?: number;
  /** Redirect target: sends 302 with this Location. */
  redirect?: string;
}

/**
 * Serves `files` by path (`/mod.ts`). Unknown paths answer 404. `files` stays
 * live: tests change it to simulate a tampered module.
 */
export function startModuleHost(files: Record<string, HostedFile>): Promise<TestServer> {
  return listen((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://x").pathname];
    if (!file) return send(res, 404, "text/plain", "not found");
    if (file.redirect) {
      res.writeHead(302, { location: file.redirect });
      return res.end();
    }
    send(res, file.status ?? 200, file.type ?? "application/typescript", file.body);
  });
}

/** A package version a fake JSR registry serves. */
export interface JsrVersion {
  /** Files by path, such as `/mod.ts`. */
  files: Record<string, string>;
  /** Export map; default `{ ".": "./mod.ts" }`. */
  exports?: Record<string, string>;
  /** Marks the version yanked. */
  yanked?: boolean;
}

/** A fake JSR registry's content: `{ "@scope/name": { "1.2.0": {...} } }`. */
export type JsrPackages = Record<string, Record<string, JsrVersion>>;

/**
 * A fake JSR registry speaking the registry API Deno uses: `/@scope/name/meta.json`,
 * `/@scope/name/<version>_meta.json` (manifest with sha256 checksums, exports), and
 * `/@scope/name/<version>/<path>`. `packages` stays live, and `tamper()` changes a
 * served file without changing its manifest checksum.
 */
export function startJsrRegistry(
  packages: JsrPackages,
): Promise<TestServer & { tamper(path: string, body: string): void }> {
  const tampered = new Map<string, string>();
  return listen((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const match = /^\/(@[^/]+\/[^/]+)\/(meta\.json|([^/]+)_meta\.json|([^/]+)(\/.*))$/.exec(path);
    const pkg = match ? packages[match[1]] : undefined;
    if (!match || !pkg) return send(res, 404, "text/plain", "not found");
    if (match[2] === "meta.json") {
      const versions = Object.fromEntries(
        Object.entries(pkg).map(([v, info]) => [v, info.yanked ? { yanked: true } : {}]),
      );
      const latest = Object.keys(pkg).filter((v) => !pkg[v].yanked).sort().at(-1);
      const [scope, name] = match[1].slice(1).split("/");
      return send(res, 200, "application/json", JSON.stringify({ scope, name, latest, versions }));
    }
    if (match[3] !== undefined) {
      const version = pkg[match[3]];
      if (!version) return send(res, 404, "text/plain", "no such version");
      return send(res, 200, "application/json", versionMeta(version));
    }
    const version = pkg[match[4]];
    const body = tampered.get(path) ?? version?.files[match[5]];
    if (body === undefined) return send(res, 404, "text/plain", "no such file");
    send(res, 200, "application/typescript", body);
  }).then((server) =>
    Object.assign(server, { tamper: (p: string, body: string) => void tampered.set(p, body) })
  );
}

/** The version metadata a registry serves for `version`, as text. */
export function versionMeta(version: JsrVersion): string {
  const manifest = Object.fromEntries(
    Object.entries(version.files).map(([path, body]) => [
      path,
      {
        size: Buffer.byteLength(body),
        checksum: `sha256-${createHash("sha256").update(body).digest("hex")}`,
      },
    ]),
  );
  return JSON.stringify({ manifest, exports: version.exports ?? { ".": "./mod.ts" } });
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? "/");
    handler(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type });
  res.end(body);
}

/** A request a webhook receiver got. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

/**
 * A webhook receiver on 127.0.0.1: records every request with its body and answers
 * with `respond(n)` for the n-th request (0-based): a status, or "hang" to never answer.
 */
export function startReceiver(
  respond: (index: number) => number | "hang" = () => 200,
): Promise<TestServer & { received: ReceivedRequest[] }> {
  const received: ReceivedRequest[] = [];
  return listen((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const index = received.length;
      received.push({
        method: req.method ?? "",
        path: req.url ?? "",
        contentType: req.headers["content-type"],
        body,
      });
      const answer = respond(index);
      if (answer === "hang") return;
      send(res, answer, "text/plain", answer === 200 ? "ok" : "nope");
    });
  }).then((server) => Object.assign(server, { received }));
}
