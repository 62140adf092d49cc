// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
import { describe, expect, it } from "vitest";
import { resultSpecs, testManager } from "./_helpers.ts";

const specs = resultSpecs;

function manager() {
  return testManager().manager.addHookSpecs(specs, "test host");
}

describe("results", () => {
  it("returns the non-null results in call order, dropping undefined and null", () => {
    const m = manager();
    m.register({ name: "a", hooks: { collectLabels: () => "ui" } });
    m.register({ name: "b", hooks: { collectLabels: () => undefined } });
    m.register({ name: "c", hooks: { collectLabels: () => null as never } });
    m.register({ name: "d", hooks: { collectLabels: { handler: () => "urgent", tryFirst: true } } });
    m.register({ name: "e", hooks: { collectLabels: async () => "backend" } });
    expect(m.hook.collectLabels({ taskId: "t" })).toBeInstanceOf(Promise);
    return expect(m.hook.collectLabels({ taskId: "t" })).resolves.toEqual(["urgent", "ui", "backend"]);
  });

  it("returns an empty list when no plugin implements the hook", () => {
    expect(manager().hook.collectLabels({ taskId: "t" })).toEqual([]);
  });

  it("stops a firstResult hook at the first non-null result", () => {
    const m = manager();
    const called: string[] = [];
    m.register({ name: "none", hooks: { selectModel: () => void called.push("none") } });
    m.register({ name: "opus", hooks: { selectModel: () => (called.push("opus"), "opus") } });
    m.register({ name: "haiku", hooks: { selectModel: () => (called.push("haiku"), "haiku") } });
    expect(m.hook.selectModel({ role: "backend" })).toBe("opus");
    expect(called).toEqual(["none", "opus"]);
  });

  it("returns undefined from a firstResult hook when nobody answers", async () => {
    const m = manager();
    m.register({ name: "none", hooks: { selectModel: async () => undefined } });
    expect(await m.hook.selectModel({ role: "backend" })).toBeUndefined();
  });

  it("stops a firstResult hook at the first async result too", async () => {
    const m = manager();
    const called: string[] = [];
    m.register({ name: "slow", hooks: { selectModel: async () => (called.push("slow"), "sonnet") } });
    m.register({ name: "later", hooks: { selectModel: () => (called.push("later"), "haiku") } });
    expect(await m.hook.selectModel({ role: "qa" })).toBe("sonnet");
    expect(called).toEqual(["slow"]);
  });

  it("lets a wrapper replace the result of next()", async () => {
    const m = manager();
    m.register({ name: "a", hooks: { collectLabels: () => "ui" } });
    m.register({
      name: "upper",
      hooks: {
        collectLabels: {
          wrapper: async (_args, next) => (await next()).map((label) => label.toUpperCase()),
        },
      },
    });
    expect(await m.hook.collectLabels({ taskId: "t" })).toEqual(["UI"]);
  });

  it("lets a wrapper answer a firstResult hook without calling next()", () => {
    const m = manager();
    let innerCalled = false;
    m.register({ name: "inner", hooks: { selectModel: () => ((innerCalled = true), "haiku") } });
    m.register({ name: "override", hooks: { selectModel: { wrapper: () => "opus" } } });
    expect(m.hook.selectModel({ role: "backend" })).toBe("opus");
    expect(innerCalled).toBe(false);
  });

  it("runs the inner implementations once however often a wrapper calls next()", async () => {
    const m = manager();
    let calls = 0;
    m.register({ name: "inner", hooks: { collectLabels: () => String(++calls) } });
    m.register({
      name: "twice",
      hooks: {
        collectLabels: {
          async wrapper(_args, next) {
            const first = await next();
            const second = await next();
            return [...first, ...second];
          },
        },
      },
    });
    expect(await m.hook.collectLabels({ taskId: "t" })).toEqual(["1", "1"]);
    expect(calls).toBe(1);
  });

  it("calls a hook by name with call(), and names the closest hook for an unknown one", () => {
    const m = manager();
    m.register({ name: "a", hooks: { collectLabels: () => "x" } });
    expect(m.call("collectLabels", { taskId: "t" })).toEqual(["x"]);
    expect(() => m.call("colectLabels" as never, { taskId: "t" } as never)).toThrow(
      'Cannot call hook "colectLabels": no such hook is specified; did you mean "collectLabels"?',
    );
    expect(() => m.call("sendInvoice" as never, {} as never)).toThrow(
      /^Cannot call hook "sendInvoice": no such hook is specified; the hooks are onTaskCreated, .*collectLabels/,
    );
  });
});
