// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
// Recording an invocation's outcome (src/outcome.ts): result checks.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { PluginManager } from "../src/manager.ts";
import { defineHookSpec } from "../src/spec.ts";
import { callManager, recordingLogger } from "./_helpers.ts";

describe("result checks", () => {
  it("returns the result schema's output, with its transforms and defaults, on every path", async () => {
    const m = new PluginManager({ logger: recordingLogger() }).addHookSpecs({
      shout: defineHookSpec({
        args: v.object({}),
        result: v.pipe(v.string(), v.trim(), v.toUpperCase()),
        doc: "Shouts.",
      }),
    }, "edge");
    m.register({ name: "sync", hooks: { shout: () => "  hi  " } });
    m.register({ name: "async", hooks: { shout: async () => " there " } });
    expect(await m.hook.shout({})).toEqual(["HI", "THERE"]);
    const seen: unknown[] = [];
    m.monitor({ after: (e) => void seen.push(e.result) });
    expect(await m.hook.shout({})).toEqual(["HI", "THERE"]);
    expect(seen).toEqual(["HI", "THERE"]);
  });

  it("checks a firstResult wrapper's answer against the result schema", () => {
    const m = callManager();
    m.register({ name: "inner", hooks: { pick: () => "fine" } });
    m.register({ name: "w", hooks: { pick: { wrapper: () => 42 as never } } });
    expect(m.hook.pick({})).toBe("fine");
    expect(m.failures.map((f) => f.plugin)).toEqual(["w"]);
  });
});
