import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  loadSemver,
  Lockfile,
  normaliseRange,
  normaliseWithSemver,
  simpleRangeKey,
} from "../src/loader/remote/lockfile.ts";

let dir: string;
beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), "bernstein-lock-"))));
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("the lockfile", () => {
  it("keys jsr: requirements as Deno does", async () => {
    const cases: [string | undefined, string][] = [
      [undefined, "*"],
      ["*", "*"],
      ["1", "1"],
      ["^1.0.0", "1"],
      ["1.x", "1"],
      ["^1.2", "^1.2.0"],
      ["^1.2.3", "^1.2.3"],
      ["~1.2.0", "1.2"],
      ["~1.2.3", "~1.2.3"],
      ["1.2.0", "1.2.0"],
      ["^0.28.2", "~0.28.2"],
      ["^0.1.0", "0.1"],
      // Major 0, as Deno 2.9 keyed them in locks it wrote against a registry on 127.0.0.1.
      ["^0", "0"],
      ["~0", "0"],
      ["^0.0", "0.0"],
      ["0.x", "0"],
      ["0.0.x", "0.0"],
      ["~0.0", "0.0"],
      ["^0.1", "0.1"],
      ["^0.0.3", "^0.0.3"],
      ["~0.0.3", "~0.0.3"],
      ["1.2.x", "1.2"],
      ["~1", "1"],
    ];
    expect(await Promise.all(cases.map(([range]) => normaliseRange(range)))).toEqual(
      cases.map(([, key]) => key),
    );
  });

  it("keys the common range forms without semver exactly as semver would", async () => {
    const semver = await loadSemver();
    const forms = [
      "1",
      "^1",
      "~1",
      "0",
      "^0",
      "~0",
      "12",
      "1.2",
      "~1.2",
      "0.3",
      "~0.3",
      "^0.3",
      "^0.0",
      "1.2.3",
      "0.0.1",
      "10.20.30",
    ];
    for (const range of forms) {
      expect(simpleRangeKey(range), range).toBe(normaliseWithSemver(semver, range));
    }
    for (const range of ["^1.2", "~1.2.3", "1.x", ">=1", "^0.28.2", "1.2.3-beta", "01", "latest"]) {
      expect(simpleRangeKey(range), range).toBeUndefined();
    }
  });

  it("writes sections in Deno's order with sorted keys, and keeps sections it does not use", async () => {
    const path = join(dir, "deno.lock");
    const workspace = { dependencies: ["npm:zod@^3"], packageJson: { dependencies: ["npm:a@1"] } };
    await writeFile(
      path,
      JSON.stringify({ version: "5", workspace, npm: { "a@1.0.0": { integrity: "x" } } }),
    );
    const lock = await Lockfile.read(path);
    lock.setRemote("https://b.example/mod.ts", "b".repeat(64));
    lock.setRemote("https://a.example/mod.ts", "a".repeat(64));
    lock.setSpecifier("jsr:@x/y@1", "1.0.0");
    lock.setJsrIntegrity("@x/y@1.0.0", "c".repeat(64));
    await lock.save();
    const text = await readFile(path, "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    const data = JSON.parse(text);
    expect(Object.keys(data)).toEqual(["version", "specifiers", "jsr", "npm", "remote", "workspace"]);
    expect(Object.keys(data.remote)).toEqual(["https://a.example/mod.ts", "https://b.example/mod.ts"]);
    expect(data.workspace).toEqual(workspace);
    expect((await Lockfile.read(path)).jsrIntegrity("@x/y@1.0.0")).toBe("c".repeat(64));
  });

  it("does not rewrite an unchanged lock", async () => {
    const path = join(dir, "deno.lock");
    const original = '{"version":"5","remote":{"https://a/m.ts":"' + "a".repeat(64) + '"}}';
    await writeFile(path, original);
    const lock = await Lockfile.read(path);
    lock.setRemote("https://a/m.ts", "a".repeat(64));
    await lock.save();
    expect(await readFile(path, "utf8")).toBe(original);
  });

  it("names the file for a corrupt lock and for an unsupported version", async () => {
    const path = join(dir, "deno.lock");
    await writeFile(path, "{ not json");
    await expect(Lockfile.read(path)).rejects.toThrow(`Cannot read lockfile "${path}": `);
    await writeFile(path, JSON.stringify({ version: "3" }));
    await expect(Lockfile.read(path)).rejects.toThrow(
      `Cannot read lockfile "${path}": version "3" is not supported; this library reads Deno 2's version 5`,
    );
  });
});

describe("the lockfile under concurrent writers", () => {
  it("keeps every process's entries when two locks read before either saved", async () => {
    const path = join(dir, "deno.lock");
    const a = await Lockfile.read(path);
    const b = await Lockfile.read(path);
    a.setRemote("https://a.example/a.ts", "a".repeat(64));
    b.setRemote("https://b.example/b.ts", "b".repeat(64));
    b.setSpecifier("jsr:@x/y@1", "1.0.0");
    await a.save();
    await b.save();
    const data = JSON.parse(await readFile(path, "utf8"));
    expect(data.remote).toEqual({
      "https://a.example/a.ts": "a".repeat(64),
      "https://b.example/b.ts": "b".repeat(64),
    });
    expect(data.specifiers).toEqual({ "jsr:@x/y@1": "1.0.0" });
  });

  it("says its own text only while no other writer came between its read and its writes", async () => {
    const path = join(dir, "deno.lock");
    const alone = await Lockfile.read(path);
    expect(alone.ownText).toBeNull(); // no file yet
    alone.setRemote("https://a.example/a.ts", "a".repeat(64));
    await alone.save();
    expect(alone.ownText).toBe(await readFile(path, "utf8"));

    const a = await Lockfile.read(path);
    const b = await Lockfile.read(path);
    expect(a.ownText).toBe(await readFile(path, "utf8"));
    b.setRemote("https://b.example/b.ts", "b".repeat(64));
    await b.save();
    const savedByB = await readFile(path, "utf8");
    a.setRemote("https://c.example/c.ts", "c".repeat(64));
    await a.save();
    // a merged b's entry in: the file is no longer only what a verified against.
    expect(a.ownText).toBeUndefined();
    expect(b.ownText).toBe(savedByB);
  });
});
