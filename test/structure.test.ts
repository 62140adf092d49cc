// The layout rules of src/ that a change could break without any behaviour test
// noticing: no import cycle (type-only imports included), no file over 400 lines,
// runtime differences only in src/runtime/, and an example on every function and
// class mod.ts exports (npm test runs them with deno test --doc).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import * as mod from "../mod.ts";

const root = resolve(import.meta.dirname ?? ".", "..");
const src = join(root, "src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mts|mjs)$/.test(name) && !name.endsWith(".d.mts") ? [path] : [];
  });
}

const files = sources(src);
const text = new Map(files.map((file) => [file, readFileSync(file, "utf8")]));

/** Relative imports and re-exports, static ones, with or without `type`. */
function importsOf(file: string): string[] {
  const found: string[] = [];
  for (const m of text.get(file)!.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']/gm)) {
    const target = resolve(dirname(file), m[1]);
    if (text.has(target)) found.push(target);
  }
  return found;
}

/** Every cycle in the import graph, as the files on it (Tarjan's strongly connected components). */
function cycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of importsOf(file)) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(relative(root, member));
    } while (member !== file);
    if (component.length > 1 || importsOf(file).includes(file)) found.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

describe("src/ layout", () => {
  it("has no import cycle, type-only imports included", () => {
    expect(files.length).toBeGreaterThan(40);
    expect(cycles()).toEqual([]);
  });

  it("finds a cycle when there is one (the check itself)", () => {
    const a = join(src, "__a.ts");
    const b = join(src, "__b.ts");
    text.set(a, `import { b } from "./__b.ts";\n`);
    text.set(b, `import type { a } from "./__a.ts";\n`);
    files.push(a, b);
    try {
      expect(cycles()).toContainEqual(["src/__a.ts", "src/__b.ts"]);
    } finally {
      files.splice(files.indexOf(a), 2);
      text.delete(a);
      text.delete(b);
    }
  });

  it("has no file over 400 lines", () => {
    const long = files
      .map((file) => [relative(root, file), text.get(file)!.split("\n").length] as const)
      .filter(([, lines]) => lines > 400);
    expect(long).toEqual([]);
  });

  it("tells Deno from Node only in src/runtime/", () => {
    const outside = files
      .filter((file) => !relative(src, file).startsWith("runtime"))
      .filter((file) => /runtime\(\)\.name|globalThis\.process\b|\bDeno\./.test(text.get(file)!))
      .map((file) => relative(root, file));
    expect(outside).toEqual([]);
  });

  it("documents every function and class of the public API with an example", () => {
    const missing: string[] = [];
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value !== "function") continue;
      const declaration = new RegExp(
        String.raw`(/\*\*(?:(?!\*/)[\s\S])*\*/)\s*export (?:async )?(?:function|class) ${name}\b`,
      );
      const doc = [...text.values()].map((source) => declaration.exec(source)?.[1]).find(Boolean);
      if (doc === undefined || !doc.includes("@example")) missing.push(name);
    }
    expect(Object.values(mod).filter((value) => typeof value === "function").length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});
