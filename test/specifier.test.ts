import { posix } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { parseSpecifier } from "../src/loader/specifier.ts";

describe("parseSpecifier", () => {
  it("resolves relative paths against the config's folder, with the URL pathToFileURL gives", () => {
    for (
      const [spec, path] of [
        ["./plugins/a.ts", "/work/app/plugins/a.ts"],
        ["../shared/b.ts", "/work/shared/b.ts"],
        ["./odd name #1 100%.ts", "/work/app/odd name #1 100%.ts"],
        ["./ünï.ts", "/work/app/ünï.ts"],
        ["./x/../y.ts", "/work/app/y.ts"],
        ["./x/./y.ts", "/work/app/x/y.ts"],
        ["./a..b.ts", "/work/app/a..b.ts"],
        ["./.hidden/p.ts", "/work/app/.hidden/p.ts"],
        ["./a//b.ts", "/work/app/a/b.ts"],
      ]
    ) {
      expect(parseSpecifier(spec, "/work/app")).toEqual({
        kind: "file",
        path,
        url: pathToFileURL(path).href,
      });
    }
  });

  it("resolves against a folder given with a trailing slash or odd characters", () => {
    for (const dir of ["/work/app/", "/work/my app", "/work/ä", "/work/./app"]) {
      const path = posix.resolve(dir, "p.ts");
      expect(parseSpecifier("./p.ts", dir)).toEqual({ kind: "file", path, url: pathToFileURL(path).href });
    }
  });

  it("keeps absolute paths, encoding what a URL must", () => {
    expect(parseSpecifier("/opt/p/a.ts", "/work")).toEqual({
      kind: "file",
      path: "/opt/p/a.ts",
      url: "file:///opt/p/a.ts",
    });
    expect(parseSpecifier("/opt/p q/a?.ts", "/work")).toMatchObject({ url: "file:///opt/p%20q/a%3F.ts" });
    expect(parseSpecifier("/opt/p/../a.ts", "/work")).toMatchObject({ url: "file:///opt/a.ts" });
    // One spelling per file, as pathToFileURL gives it: a module is cached by its URL.
    expect(parseSpecifier("/opt/a~b.ts", "/work")).toMatchObject({ url: pathToFileURL("/opt/a~b.ts").href });
    expect(parseSpecifier("/opt//a.ts", "/work")).toMatchObject({ url: "file:///opt/a.ts" });
    expect(parseSpecifier("file:///opt/a~b.ts", "/work")).toMatchObject({
      url: pathToFileURL("/opt/a~b.ts").href,
    });
  });

  it("tells npm, jsr and URL specifiers apart and refuses the rest with the accepted forms", () => {
    expect(parseSpecifier("npm:@acme/plugin@^2/sub", "/w")).toEqual({
      kind: "npm",
      name: "@acme/plugin",
      range: "^2",
      subpath: "sub",
    });
    expect(parseSpecifier("jsr:@acme/plugin@1", "/w")).toMatchObject({ kind: "jsr", name: "@acme/plugin" });
    expect(parseSpecifier("https://example.com/p.ts", "/w")).toEqual({
      kind: "url",
      url: "https://example.com/p.ts",
    });
    expect(() => parseSpecifier("http://example.com/p.ts", "/w")).toThrow(
      'plain http: is refused for host "example.com"',
    );
    expect(() => parseSpecifier("ftp://x/p.ts", "/w")).toThrow('unsupported specifier "ftp://x/p.ts"');
  });
});
