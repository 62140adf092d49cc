// src/_problems.ts: the one translation of valibot issues into problems, which
// config validation, plugin options, hook arguments and results share.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { issueToProblem } from "../src/_problems.ts";

const schema = v.strictObject({
  name: v.string(),
  list: v.array(v.strictObject({ n: v.number() })),
  nested: v.optional(v.strictObject({ flag: v.boolean() })),
});

const inputs: unknown[] = [
  {},
  { name: 1, list: [] },
  { name: "a", list: [{ n: "x" }, { m: 1 }] },
  { name: "a", list: [], nested: { flag: 1, extra: true } },
  { name: "a", list: [], stray: 1 },
  "not an object",
];

describe("issueToProblem", () => {
  it("names missing and unknown keys, and keeps valibot's message otherwise, under a dotted path", () => {
    const problems = inputs.flatMap((input) =>
      (v.safeParse(schema, input).issues ?? []).map((issue) => issueToProblem(issue, "options"))
    );
    expect(problems).toEqual([
      { path: "options.name", message: "is required but missing" },
      { path: "options.list", message: "is required but missing" },
      { path: "options.name", message: "Invalid type: Expected string but received 1" },
      { path: "options.list.0.n", message: 'Invalid type: Expected number but received "x"' },
      { path: "options.list.1.n", message: "is required but missing" },
      { path: "options.list.1.m", message: 'unknown key "m"' },
      { path: "options.nested.flag", message: "Invalid type: Expected boolean but received 1" },
      { path: "options.nested.extra", message: 'unknown key "extra"' },
      { path: "options.stray", message: 'unknown key "stray"' },
      { path: "options", message: 'Invalid type: Expected Object but received "not an object"' },
    ]);
    const [first] = v.safeParse(schema, {}).issues!;
    expect(issueToProblem(first)).toEqual({ path: "name", message: "is required but missing" });
  });

  it("writes array indexes in brackets and suggests a known key when asked", () => {
    const result = v.safeParse(schema, { name: "a", list: [{ n: 1 }, { m: 1 }] });
    const problems = result.issues!.map((issue) =>
      issueToProblem(issue, "plugins[0]", {
        brackets: true,
        suggest: (key) => (key === "m" ? "n" : undefined),
      })
    );
    expect(problems).toEqual([
      { path: "plugins[0].list[1].n", message: "is required but missing" },
      { path: "plugins[0].list[1].m", message: 'unknown key "m"; did you mean "n"?' },
    ]);
  });
});
