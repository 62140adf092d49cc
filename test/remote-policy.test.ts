// src/loader/remote/policy.ts: the one rule for which URLs load remotely, shared by
// the config's specifiers and the remote resolver.
import { describe, expect, it } from "vitest";
import { checkRemoteUrl, httpAllowed, isRemoteSpecifier } from "../src/loader/remote/policy.ts";
import { parseSpecifier } from "../src/loader/specifier.ts";

describe("the remote URL policy", () => {
  it("allows plain http only to loopback and allowed hosts, in specifiers and in the resolver alike", () => {
    const cases: [string, boolean][] = [
      ["localhost", true],
      ["127.0.0.1", true],
      ["127.1.2.3", true],
      ["[::1]", true],
      ["intranet.local", true],
      ["plugins.example.com", false],
      ["128.0.0.1", false],
    ];
    for (const [hostname, allowed] of cases) {
      expect([hostname, httpAllowed(hostname, ["intranet.local"])]).toEqual([hostname, allowed]);
      const url = `http://${hostname}/p.ts`;
      const check = () => checkRemoteUrl(url, ["intranet.local"]);
      const parse = () => parseSpecifier(url, "/project", ["intranet.local"]);
      if (allowed) {
        expect(check()).toBe(url);
        expect(parse()).toEqual({ kind: "url", url });
      } else {
        expect(check).toThrow(`plain http: is refused for host "${hostname}"`);
        expect(parse).toThrow(`plain http: is refused for host "${hostname}"`);
      }
    }
  });

  it("tells remote specifiers from the rest", () => {
    expect(["jsr:@a/b", " https://x/p.ts", "HTTP://127.0.0.1/p.ts"].map(isRemoteSpecifier)).toEqual([
      true,
      true,
      true,
    ]);
    expect(["./p.ts", "npm:x", "file:///p.ts", "x"].map(isRemoteSpecifier)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
