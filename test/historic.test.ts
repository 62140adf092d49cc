// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineHookSpec } from "../src/spec.ts";
import { testManager } from "./_helpers.ts";

const specs = {
  onConfigured: defineHookSpec({
    args: v.object({ key: v.string() }),
    doc: "Called once per setting; late plugins get every earlier call replayed.",
    historic: true,
  }),
};

describe("historic hooks", () => {
  it("replays under the hook's own deadline, not the manager's", async () => {
    const { manager } = testManager({ timeoutMs: 60_000 });
    const m = manager.addHookSpecs({
      onConfigured: defineHookSpec({ ...specs.onConfigured, timeoutMs: 30 }),
    }, "host");
    m.hook.onConfigured({ key: "a" });
    const started = performance.now();
    m.register({ name: "hangs", hooks: { onConfigured: () => new Promise<void>(() => {}) } });
    await m.idle();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(m.failures.map((f) => [f.plugin, f.kind])).toEqual([["hangs", "timeout"]]);
  });

  it("replays earlier calls, in order, to a plugin registered later", async () => {
    const { manager } = testManager();
    const m = manager.addHookSpecs(specs, "host");
    const early: string[] = [];
    m.register({ name: "early", hooks: { onConfigured: ({ key }) => void early.push(key) } });
    m.hook.onConfigured({ key: "a" });
    m.hook.onConfigured({ key: "b" });
    const late: string[] = [];
    m.register({ name: "late", hooks: { onConfigured: ({ key }) => void late.push(key) } });
    expect(late).toEqual(["a", "b"]);
    m.hook.onConfigured({ key: "c" });
    expect(early).toEqual(["a", "b", "c"]);
    expect(late).toEqual(["a", "b", "c"]);
    await m.idle();
  });

  it("replays to async plugins in order, and idle() waits for the replay", async () => {
    const { manager } = testManager();
    const m = manager.addHookSpecs(specs, "host");
    m.hook.onConfigured({ key: "1" });
    m.hook.onConfigured({ key: "2" });
    const seen: string[] = [];
    m.register({
      name: "async",
      hooks: {
        onConfigured: async ({ key }) => {
          await new Promise((r) => setTimeout(r, 5));
          seen.push(key);
        },
      },
    });
    expect(seen).toEqual([]);
    await m.idle();
    expect(seen).toEqual(["1", "2"]);
  });

  it("isolates a replay failure like any other", async () => {
    const { manager } = testManager();
    const m = manager.addHookSpecs(specs, "host");
    m.hook.onConfigured({ key: "x" });
    m.register({
      name: "bad",
      hooks: {
        onConfigured() {
          throw new Error("replay failed");
        },
      },
    });
    await m.idle();
    expect(m.failures.map((f) => `${f.plugin}:${f.hook}`)).toEqual(["bad:onConfigured"]);
  });

  it("hands replayed plugins the same frozen arguments", () => {
    const { manager } = testManager();
    const m = manager.addHookSpecs(specs, "host");
    m.hook.onConfigured({ key: "k" });
    let frozen = false;
    m.register({ name: "late", hooks: { onConfigured: (args) => void (frozen = Object.isFrozen(args)) } });
    expect(frozen).toBe(true);
  });

  it("refuses a wrapper on a historic hook", () => {
    const { manager } = testManager();
    const m = manager.addHookSpecs(specs, "host");
    expect(() => m.register({ name: "w", hooks: { onConfigured: { wrapper: (_a, next) => next() } } }))
      .toThrow(
        "hooks.onConfigured: a wrapper cannot implement a historic hook; make it a plain implementation",
      );
  });

  it("rejects a spec that is both historic and firstResult", () => {
    expect(() => defineHookSpec({ args: v.object({}), doc: "x", historic: true, firstResult: true })).toThrow(
      "a hook cannot be both historic and firstResult",
    );
  });

  it("replays through manager.use() and resolves after the replay", async () => {
    const { manager } = testManager();
    const m = manager.addHookSpecs(specs, "host");
    m.hook.onConfigured({ key: "z" });
    const seen: string[] = [];
    await m.use({
      name: "used",
      hooks: { onConfigured: async ({ key }) => void seen.push(key) },
    });
    expect(seen).toEqual(["z"]);
  });
});
