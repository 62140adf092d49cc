// src/_problems.ts: the one translation of valibot issues into problems. Its default
// form must give what plugin.ts's issueToProblem gives, so that plugin.ts can use it.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { issueToProblem } from "../src/_problems.ts";
import { issueToProblem as pluginIssueToProblem } from "../src/plugin.ts";

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
  it("gives what plugin.ts's copy gives, with and without a prefix", () => {
    for (const input of inputs) {
      const result = v.safeParse(schema, input);
      for (const issue of result.issues ?? []) {
        for (const prefix of ["", "options"]) {
          expect(issueToProblem(issue, prefix)).toEqual(pluginIssueToProblem(issue, prefix));
        }
      }
    }
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
