// The Node remote loader's resolver, driven directly (no loader hooks): cache
// damage, timeouts, frozen mode and redirects, against servers on 127.0.0.1.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fetchSource } from "../src/loader/remote/fetch.ts";
import { RemoteResolver, type RemoteSettings } from "../src/loader/remote/resolver.ts";
import { startModuleHost, startReceiver, type TestServer } from "./_servers.ts";

let dir: string;
let server: TestServer | undefined;
beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), "bernstein-remote-"))));
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

const settings = (extra: Partial<RemoteSettings> = {}): RemoteSettings => ({
  cacheDir: join(dir, "cache"),
  lockPath: join(dir, "deno.lock"),
  frozen: false,
  jsrUrl: "http://127.0.0.1:9",
  allowHttpHosts: [],
  integrity: {},
  ...extra,
});

describe("the remote resolver", () => {
  it("fetches a damaged cache entry again instead of failing or running it", async () => {
    const body = "export const n = 1;\n";
    server = await startModuleHost({ "/m.ts": { body } });
    const url = `${server.url}/m.ts`;
    await new RemoteResolver(settings()).fetchVerified(url);
    for (const file of await readdir(join(dir, "cache"))) {
      // Keep the header line (with the body's hash), change the body.
      const entry = await readFile(join(dir, "cache", file), "utf8");
      const header = entry.slice(0, entry.indexOf("\n") + 1);
      await writeFile(join(dir, "cache", file), `${header}export const n = 666;\n`);
    }
    const again = await new RemoteResolver(settings()).fetchVerified(url);
    expect(new TextDecoder().decode(again.body)).toBe(body);
    expect(server.requests).toEqual(["/m.ts", "/m.ts"]);
  });

  it("neither caches nor locks a response that is not a module, so a later run fetches it again", async () => {
    server = await startModuleHost({ "/m.ts": { body: "\u0089PNG", type: "image/png" } });
    const url = `${server.url}/m.ts`;
    const resolver = new RemoteResolver(settings());
    await expect(resolver.load(url)).rejects.toThrow(/served as "image\/png", which is not a module type/);
    await resolver.save();
    const lock = await readFile(join(dir, "deno.lock"), "utf8").catch(() => "{}");
    expect(lock).not.toContain("/m.ts");
    expect(await readdir(join(dir, "cache")).catch(() => [])).toEqual([]);
  });

  it("locks and caches neither a module refused by its SRI hash nor a redirect to a refused module", async () => {
    server = await startModuleHost({
      "/m.ts": { body: "export const n = 1;\n" },
      "/page.ts": { body: "<html>", type: "text/html" },
      "/old.ts": { body: "", redirect: "/page.ts" },
    });
    const url = `${server.url}/m.ts`;
    const bad = "sha384-" + "A".repeat(64);
    const resolver = new RemoteResolver(settings({ integrity: { [url]: bad } }));
    await expect(resolver.load(url)).rejects.toThrow(/does not match its integrity/);
    const final = await resolver.resolveUrl(`${server.url}/old.ts`);
    await expect(resolver.load(final)).rejects.toThrow(/not a module type/);
    await resolver.save();
    const lock = await readFile(join(dir, "deno.lock"), "utf8").catch(() => "{}");
    expect(lock).not.toContain("/m.ts");
    expect(lock).not.toContain("/old.ts");
    expect(await readdir(join(dir, "cache")).catch(() => [])).toEqual([]);
  });

  it("remembers redirects without a lock, also to a module verified before the redirect was seen", async () => {
    server = await startModuleHost({
      "/final.ts": { body: "export const n = 1;\n" },
      "/a.ts": { body: "", redirect: "/final.ts" },
      "/b.ts": { body: "", redirect: "/final.ts" },
    });
    const first = new RemoteResolver(settings({ lockPath: undefined }));
    await first.load(await first.resolveUrl(`${server.url}/a.ts`));
    // final.ts is verified by now; b.ts leads there too.
    expect(await first.resolveUrl(`${server.url}/b.ts`)).toBe(`${server.url}/final.ts`);
    server.requests.length = 0;
    const second = new RemoteResolver(settings({ lockPath: undefined }));
    for (const from of ["/a.ts", "/b.ts"]) await second.load(await second.resolveUrl(`${server.url}${from}`));
    expect(server.requests).toEqual([]);
  });

  it("locks every hop of a redirect chain, as Deno does, and follows the hops frozen", async () => {
    server = await startModuleHost({
      "/a.ts": { body: "", redirect: "/b.ts" },
      "/b.ts": { body: "", redirect: "/c.ts" },
      "/c.ts": { body: "export const n = 3;\n" },
    });
    const first = new RemoteResolver(settings());
    await first.load(await first.resolveUrl(`${server.url}/a.ts`));
    await first.save();
    const lock = JSON.parse(await readFile(join(dir, "deno.lock"), "utf8"));
    expect(lock.redirects).toEqual({
      [`${server.url}/a.ts`]: `${server.url}/b.ts`,
      [`${server.url}/b.ts`]: `${server.url}/c.ts`,
    });
    await rm(join(dir, "cache"), { recursive: true });
    server.requests.length = 0;
    const frozen = new RemoteResolver(settings({ frozen: true }));
    expect(await frozen.resolveUrl(`${server.url}/a.ts`)).toBe(`${server.url}/c.ts`);
    expect(server.requests).toEqual([]);
  });

  it("refuses redirects in the lock that loop, run on too long or leave the host", async () => {
    server = await startModuleHost({});
    const other = server.url.replace("127.0.0.1", "localhost");
    const cases: [Record<string, string>, RegExp][] = [
      [{ "/a.ts": "/b.ts", "/b.ts": "/a.ts" }, /redirects .*\/a\.ts in a loop/],
      [
        Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`/a${i}.ts`, `/a${i + 1}.ts`])),
        /more than 5 times/,
      ],
      [{ "/a.ts": `${other}/x.ts` }, /to another host/],
    ];
    for (const [hops, message] of cases) {
      const redirects = Object.fromEntries(
        Object.entries(hops).map((
          [from, to],
        ) => [server!.url + from, to.startsWith("/") ? server!.url + to : to]),
      );
      await writeFile(join(dir, "deno.lock"), JSON.stringify({ version: "5", redirects }));
      const first = Object.keys(redirects)[0];
      await expect(new RemoteResolver(settings()).resolveUrl(first)).rejects.toThrow(message);
    }
    expect(server.requests).toEqual([]);
  });

  it("checks every SRI hash bound to one module, whichever entry came last", async () => {
    const body = "export const n = 1;\n";
    server = await startModuleHost({
      "/a.ts": { body },
      "/m1.ts": { body: "", redirect: "/a.ts" },
      "/m2.ts": { body: "", redirect: "/a.ts" },
    });
    const { createHash } = await import("node:crypto");
    const good = `sha384-${createHash("sha384").update(body).digest("base64")}`;
    const bad = `sha384-${createHash("sha384").update("something else").digest("base64")}`;
    for (const order of [["/m1.ts", "/m2.ts"], ["/m2.ts", "/m1.ts"]]) {
      await rm(join(dir, "cache"), { recursive: true, force: true });
      await rm(join(dir, "deno.lock"), { force: true });
      const integrity = { [`${server.url}/m1.ts`]: bad, [`${server.url}/m2.ts`]: good };
      const resolver = new RemoteResolver(settings({ integrity }));
      for (const path of order) await resolver.resolveUrl(`${server.url}${path}`);
      await expect(resolver.fetchVerified(`${server.url}/a.ts`)).rejects.toThrow(
        /does not match its integrity/,
      );
      await resolver.save();
      const lock = await readFile(join(dir, "deno.lock"), "utf8").catch(() => "{}");
      expect([order, lock.includes("/a.ts")]).toEqual([order, false]);
    }
  });

  it("refuses only the entry whose hash came after its module was verified, not the module", async () => {
    const body = "export const n = 1;\n";
    server = await startModuleHost({ "/a.ts": { body }, "/m1.ts": { body: "", redirect: "/a.ts" } });
    const { createHash } = await import("node:crypto");
    const bad = `sha384-${createHash("sha384").update("something else").digest("base64")}`;
    const resolver = new RemoteResolver(settings({ integrity: { [`${server.url}/m1.ts`]: bad } }));
    await resolver.load(await resolver.resolveUrl(`${server.url}/a.ts`));
    await expect(resolver.resolveUrl(`${server.url}/m1.ts`)).rejects.toThrow(/does not match its integrity/);
    server.requests.length = 0;
    expect(new TextDecoder().decode((await resolver.fetchVerified(`${server.url}/a.ts`)).body)).toBe(body);
    expect(server.requests).toEqual([]);
  });

  it("locks a redirect resolved while its target is being verified", async () => {
    server = await startModuleHost({
      "/final.ts": { body: "export const n = 1;\n" },
      "/old.ts": { body: "", redirect: "/final.ts" },
    });
    const final = `${server.url}/final.ts`;
    await new RemoteResolver(settings({ lockPath: undefined })).load(final); // cached, not locked
    const resolver = new RemoteResolver(settings());
    // The target's cache read takes a while, and the redirect is found in the meantime.
    const read = resolver.cache.get.bind(resolver.cache);
    resolver.cache.get = async (url) => {
      if (url === final) await new Promise((resolve) => setTimeout(resolve, 50));
      return read(url);
    };
    await Promise.all([resolver.load(final), resolver.resolveUrl(`${server.url}/old.ts`)]);
    await resolver.save();
    const lock = JSON.parse(await readFile(join(dir, "deno.lock"), "utf8"));
    expect(lock.redirects).toEqual({ [`${server.url}/old.ts`]: final });
  });

  it("neither locks nor caches JSR metadata that is not JSON, so a fixed registry is asked again", async () => {
    const files: Record<string, { body: string; type?: string }> = {
      "/@s/p/meta.json": { body: JSON.stringify({ versions: { "1.0.0": {} } }), type: "application/json" },
      "/@s/p/1.0.0_meta.json": { body: "<html>oops</html>", type: "application/json" },
    };
    server = await startModuleHost(files);
    const jsr = (extra: Partial<RemoteSettings> = {}) =>
      new RemoteResolver(settings({ jsrUrl: server!.url, ...extra }));
    for (const bad of ["<html>oops</html>", "null"]) {
      files["/@s/p/1.0.0_meta.json"].body = bad;
      const resolver = jsr();
      await expect(resolver.resolveJsr("jsr:@s/p@1")).rejects.toThrow(/_meta\.json is not JSON metadata/);
      await resolver.save();
      const lock = await readFile(join(dir, "deno.lock"), "utf8").catch(() => "{}");
      expect([bad, lock]).not.toContain("@s/p"); // no pin, no integrity
    }
    files["/@s/p/1.0.0_meta.json"].body = JSON.stringify({ exports: { ".": "./mod.ts" }, manifest: {} });
    expect(await jsr().resolveJsr("jsr:@s/p@1")).toBe(`${server.url}/@s/p/1.0.0/mod.ts`);
  });

  it("fetches again a cached module that fails its SRI hash, and takes the network's copy when it passes", async () => {
    const files = { "/m.ts": { body: "export const n = 1;\n" } };
    server = await startModuleHost(files);
    const url = `${server.url}/m.ts`;
    await new RemoteResolver(settings({ lockPath: undefined })).load(url);
    files["/m.ts"].body = "export const n = 2;\n";
    const { createHash } = await import("node:crypto");
    const sri = `sha384-${createHash("sha384").update(files["/m.ts"].body).digest("base64")}`;
    const again = new RemoteResolver(settings({ lockPath: undefined, integrity: { [url]: sri } }));
    const verified = await again.fetchVerified(url);
    expect(new TextDecoder().decode(verified.body)).toBe(files["/m.ts"].body);
  });

  it("reads entries of the earlier two-file cache layout without fetching", async () => {
    const body = "export const n = 2;\n";
    server = await startModuleHost({ "/m.ts": { body } });
    const url = `${server.url}/m.ts`;
    const { createHash } = await import("node:crypto");
    const hex = (data: string) => createHash("sha256").update(data).digest("hex");
    await mkdir(join(dir, "cache"), { recursive: true });
    await writeFile(join(dir, "cache", `${hex(url)}.body`), body);
    await writeFile(
      join(dir, "cache", `${hex(url)}.json`),
      JSON.stringify({ url, contentType: "application/typescript", sha256: hex(body) }),
    );
    const source = await new RemoteResolver(settings()).fetchVerified(url);
    expect(new TextDecoder().decode(source.body)).toBe(body);
    expect(server.requests).toEqual([]);
  });

  it("gives up on a server that never answers", async () => {
    server = await startReceiver(() => "hang");
    await expect(fetchSource(`${server.url}/slow.ts`, 50)).rejects.toThrow(
      `${server.url}/slow.ts gave no answer within 0.05 s; is the server up?`,
    );
  });

  it("refuses in frozen mode what the lock lacks, and loads what it has", async () => {
    server = await startModuleHost({ "/a.ts": { body: "export {};" }, "/b.ts": { body: "export {};" } });
    await new RemoteResolver(settings()).fetchVerified(`${server.url}/a.ts`);
    const frozen = new RemoteResolver(settings({ frozen: true }));
    const source = await frozen.fetchVerified(`${server.url}/a.ts`);
    expect(source.url).toBe(`${server.url}/a.ts`);
    expect(new TextDecoder().decode(source.body)).toBe("export {};");
    await expect(frozen.fetchVerified(`${server.url}/b.ts`)).rejects.toThrow(
      `${server.url}/b.ts is not in the lockfile ${join(dir, "deno.lock")}, which is frozen`,
    );
  });

  it("refuses plain http to hosts that are neither loopback nor allowed", () => {
    const resolver = new RemoteResolver(settings({ allowHttpHosts: ["intranet.local"] }));
    expect(resolver.checkUrl("http://intranet.local/p.ts")).toBe("http://intranet.local/p.ts");
    expect(() => resolver.checkUrl("http://plugins.example.com/p.ts")).toThrow(
      'plain http: is refused for host "plugins.example.com"',
    );
    expect(() => resolver.checkUrl("ftp://x/p.ts")).toThrow(
      "only https: and loopback http: URLs are loaded remotely",
    );
  });
});
