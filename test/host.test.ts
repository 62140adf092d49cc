// The runtime layer without node: imports: path functions and file URLs must agree
// with node:path (POSIX) and node:url, which the rest of the code used before.
import { posix } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { filePath, fileUrl, host } from "../src/runtime/host.ts";
import { dirname, extname, isAbsolute, join, normalize, relative, resolve } from "../src/runtime/path.ts";

const paths = [
  "/",
  "/a",
  "/a/b/c.ts",
  "/a/./b/../c/",
  "//a//b",
  "a/b",
  "./a",
  "../a/b",
  "a/../..",
  ".",
  "..",
  "",
  "/a/b.test.ts",
  "/a/.hidden",
  "/a/b.",
];

describe("runtime path functions", () => {
  it("agree with node:path for POSIX paths", () => {
    for (const p of paths) {
      expect(normalize(p), `normalize(${p})`).toBe(posix.normalize(p).replace(/(.)\/$/, "$1"));
      expect(dirname(p), `dirname(${p})`).toBe(posix.dirname(normalize(p)));
      expect(extname(p), `extname(${p})`).toBe(posix.extname(p));
      expect(isAbsolute(p), `isAbsolute(${p})`).toBe(posix.isAbsolute(p));
      expect(resolve("/base/dir", p), `resolve(/base/dir, ${p})`).toBe(posix.resolve("/base/dir", p));
      expect(join("/x", p), `join(/x, ${p})`).toBe(posix.join("/x", p).replace(/(.)\/$/, "$1"));
      expect(relative("/base/dir", resolve("/base/dir", p))).toBe(
        posix.relative("/base/dir", posix.resolve("/base/dir", p)),
      );
    }
    expect(resolve("a/b")).toBe(posix.resolve(host.cwd(), "a/b"));
  });

  it("read Windows paths with either slash, drive letters and shares, on Windows only", () => {
    const real = host.windows;
    const windows = (on: boolean) => Object.defineProperty(host, "windows", { value: on });
    try {
      windows(true);
      expect(isAbsolute("C:\\work\\a.ts")).toBe(true);
      expect(resolve("C:\\work", "..\\x\\a.ts")).toBe("C:/x/a.ts");
      expect(dirname("C:\\a.ts")).toBe("C:/");
      expect(relative("C:/work/app", "C:/work/lib/x.ts")).toBe("../lib/x.ts");
      expect(normalize("\\\\srv\\share\\proj\\..\\x.ts")).toBe("//srv/share/x.ts");
      expect(resolve("\\\\srv\\share\\proj", "a.ts")).toBe("//srv/share/proj/a.ts");
      expect(dirname("//srv/share/x.ts")).toBe("//srv/share/");
      expect(fileUrl("//srv/share/x y.ts")).toBe("file://srv/share/x%20y.ts");
      expect(fileUrl("C:/work/a.ts")).toBe("file:///C:/work/a.ts");
      expect(filePath("file:///C:/work/a.ts")).toBe("C:\\work\\a.ts");
      expect(filePath("file://srv/share/x.ts")).toBe("\\\\srv\\share\\x.ts");
      windows(false);
      expect(isAbsolute("C:\\work")).toBe(false);
      expect(resolve("/base", "a\\b.ts")).toBe("/base/a\\b.ts");
      expect(dirname("/w\\x/bernstein.config.json")).toBe("/w\\x");
      expect(fileUrl("/a\\b.ts")).toBe("file:///a%5Cb.ts");
      expect(filePath("file:///a%5Cb.ts")).toBe("/a\\b.ts");
    } finally {
      windows(real);
    }
  });
});

describe("runtime file URLs", () => {
  it("match node:url for awkward names", () => {
    for (
      const p of [
        "/a/b.ts",
        "/a b/c#d?.ts",
        "/100%/x",
        "/ü/ñ.ts",
        "/t\tn\nr\r",
        "/q\"<>`{}|^[]'!$&()*+,;=@~",
        "/back\\slash",
        "/😀",
      ]
    ) {
      const url = pathToFileURL(p).href;
      expect(fileUrl(p), p).toBe(url);
      expect(filePath(url), p).toBe(fileURLToPath(url));
    }
  });

  it("refuse other schemes and encoded slashes", () => {
    expect(() => filePath("https://example.com/a.ts")).toThrow("must be of scheme file");
    expect(() => filePath("file:///a%2Fb")).toThrow("encoded / characters");
    if (!host.windows) {
      expect(() => filePath("file://elsewhere/x.ts")).toThrow('File URL host must be "localhost" or empty');
      expect(filePath("file://localhost/x.ts")).toBe("/x.ts");
    }
  });
});

describe("runtime host", () => {
  it("reads files and tells missing ones", async () => {
    const self = filePath(import.meta.url);
    expect(await host.readTextFile(self)).toContain("runtime host");
    expect(await host.kindOf(self)).toBe("file");
    expect(await host.kindOf(dirname(self))).toBe("directory");
    expect(await host.kindOf(`${self}.missing`)).toBeUndefined();
    const error = await host.readTextFile(`${self}.missing`).catch((e) => e);
    expect(host.isNotFound(error)).toBe(true);
    expect(host.isNotFound(new Error("other"))).toBe(false);
    expect(await host.readDir(dirname(self))).toContain("host.test.ts");
  });
});

describe("runtime timers", () => {
  it("repeat until cleared", async () => {
    let ticks = 0;
    const interval = host.interval(() => void ticks++, 5);
    interval.unref();
    interval.ref();
    await new Promise((resolve) => setTimeout(resolve, 60));
    interval.clear();
    const seen = ticks;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toBeGreaterThanOrEqual(2);
    expect(ticks).toBe(seen);
  });
});
