// Hook specs (src/spec.ts): what defineHookSpec refuses.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { PluginManager } from "../src/manager.ts";
import { defineHookSpec } from "../src/spec.ts";
import { callManager } from "./_helpers.ts";

describe("defineHookSpec", () => {
  const badSpecs: [string, unknown, string][] = [
    ["a non-object args schema", { args: v.string(), doc: "x" }, "args must be a valibot object schema"],
    ["an empty doc", { args: v.object({}), doc: " " }, "doc must be a non-empty string"],
    [
      "a negative timeout",
      { args: v.object({}), doc: "x", timeoutMs: -5 },
      "timeoutMs must be a positive number of milliseconds up to 2147483647, not -5",
    ],
    [
      "a result that is not a schema",
      { args: v.object({}), doc: "x", result: "string" },
      "result must be a valibot schema or left out",
    ],
  ];
  for (const [what, init, message] of badSpecs) {
    it(`rejects a spec with ${what}`, () => {
      expect(() => defineHookSpec(init as never)).toThrow(message);
    });
  }

  it("rejects a spec that is both historic and firstResult", () => {
    expect(() => defineHookSpec({ args: v.object({}), doc: "x", historic: true, firstResult: true })).toThrow(
      "a hook cannot be both historic and firstResult",
    );
  });

  it("refuses flags that are not booleans, so that nothing odd reaches generated code", () => {
    expect(() => defineHookSpec({ args: v.object({}), doc: "x", firstResult: "(1, true)" as never })).toThrow(
      'firstResult must be true or false, not "(1, true)"',
    );
  });

  it("refuses deadlines longer than timers allow", () => {
    expect(() => new PluginManager({ timeoutMs: 3_000_000_000 })).toThrow(
      "timeoutMs must be a positive number up to 2147483647, not 3000000000",
    );
    expect(() => defineHookSpec({ args: v.object({}), doc: "x", timeoutMs: 3_000_000_000 })).toThrow(
      "up to 2147483647",
    );
    const m = callManager();
    expect(() => m.register({ name: "p", hooks: { collect: { handler() {}, timeoutMs: 3_000_000_000 } } }))
      .toThrow(
        "hooks.collect.timeoutMs: must be at most 2147483647 ms (about 24.8 days)",
      );
  });
});
