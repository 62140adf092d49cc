// The inline source map of a linked remote module stays right after the edits
// linking makes (a prefix at the start of the first line, import specifiers of
// another length): checked with Node's own source map reader against esbuild's output.
import { SourceMap } from "node:module";
import { transform } from "esbuild";
import { describe, expect, it } from "vitest";
import { type Edit, shiftInlineMap } from "../src/loader/remote/_sourcemap.ts";

/** 0-based line and column of the first `token` in `text`. */
function positionOf(text: string, token: string): { line: number; column: number } {
  const before = text.slice(0, text.indexOf(token)).split("\n");
  return { line: before.length - 1, column: before.at(-1)!.length };
}

function mapOf(text: string): SourceMap {
  const base64 = /sourceMappingURL=data:application\/json;base64,(\S+)/.exec(text)![1];
  return new SourceMap(
    JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)))),
  );
}

/** Compiles `ts` as linking finds it, applies a prefix and one specifier change, and checks `tokens`. */
async function check(ts: string, tokens: string[], specifier?: string): Promise<void> {
  const { code } = await transform(ts, {
    loader: "ts",
    format: "esm",
    sourcemap: "inline",
    sourcefile: "m.ts",
  });
  const prefix = `import.meta.url = "https://example.com/m.ts"; import.meta.main = false; `;
  const edits: Edit[] = [{ at: 0, delta: prefix.length }];
  let start = code.length;
  let end = code.length;
  const replacement = `./${"f".repeat(64)}.mjs`;
  if (specifier !== undefined) {
    start = code.indexOf(specifier);
    end = start + specifier.length;
    edits.push({ at: end, delta: replacement.length - specifier.length });
  }
  const shifted = shiftInlineMap(code, edits);
  const edited = prefix + shifted.slice(0, start) + (specifier === undefined ? "" : replacement) +
    shifted.slice(end);
  type Entry = { originalLine?: number; originalColumn?: number };
  for (const token of tokens) {
    const was = positionOf(code, token);
    const original: Entry = mapOf(code).findEntry(was.line, was.column);
    const now = positionOf(edited, token);
    expect(original.originalColumn).toBeTypeOf("number"); // a real mapping
    const after: Entry = mapOf(edited).findEntry(now.line, now.column);
    expect([token, after.originalLine, after.originalColumn]).toEqual([
      token,
      original.originalLine,
      original.originalColumn,
    ]);
  }
}

describe("inline source maps after linking's edits", () => {
  it("still map code on the first line, where the prefix goes, to where it was written", async () => {
    // esbuild keeps a one-line default export on its first line.
    await check(`export default { name: "x", hooks: { onAgentSpawned: () => new Error("here") } };\n`, [
      "new Error",
      `"here"`,
      "onAgentSpawned",
    ]);
  });

  it("still map code after an import whose specifier changed length", async () => {
    await check(
      `import data from "./d.json" with { type: "json" }; export const x = data;\n`,
      ["type:", "data;"],
      "./d.json",
    );
  });

  it("leaves text without an inline map as it is", () => {
    const text = `export const a = 1;\n`;
    expect(shiftInlineMap(text, [{ at: 0, delta: 10 }])).toBe(text);
  });
});
