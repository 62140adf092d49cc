// The plugin manager (src/manager.ts): calling by name, resume, re-registering,
// and shutdown.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineHookSpec } from "../src/spec.ts";
import { callManager, resultSpecs, sleep, testManager } from "./_helpers.ts";

function resultManager() {
  return testManager().manager.addHookSpecs(resultSpecs, "test host");
}

describe("the plugin manager", () => {
  it("calls a hook by name with call(), and names the closest hook for an unknown one", () => {
    const m = resultManager();
    m.register({ name: "a", hooks: { collectLabels: () => "x" } });
    expect(m.call("collectLabels", { taskId: "t" })).toEqual(["x"]);
    expect(() => m.call("colectLabels" as never, { taskId: "t" } as never)).toThrow(
      'Cannot call hook "colectLabels": no such hook is specified; did you mean "collectLabels"?',
    );
    expect(() => m.call("sendInvoice" as never, {} as never)).toThrow(
      /^Cannot call hook "sendInvoice": no such hook is specified; the hooks are onTaskCreated, .*collectLabels/,
    );
  });

  it("refuses to resume a plugin that is not registered", () => {
    const { manager } = testManager();
    expect(() => manager.resume("ghost")).toThrow('Cannot resume plugin "ghost": it is not registered');
  });

  it("lets a plugin that adds specs be registered again after unregister or block", () => {
    const m = callManager();
    const own = { onDeploy: defineHookSpec({ args: v.object({}), doc: "Deploys." }) };
    const plugin = { name: "deployer", specs: own, hooks: { onDeploy() {} } } as never;
    m.register(plugin);
    m.unregister("deployer");
    m.register(plugin);
    m.block("deployer");
    m.unblock("deployer");
    m.register(plugin);
    expect(m.list().map((p) => p.name)).toEqual(["deployer"]);
  });
});

describe("shutdown", () => {
  it("isolates and records a failing shutdown; strict mode rethrows it after the others ran", async () => {
    for (const onError of ["isolate", "throw"] as const) {
      const { manager } = testManager({ onError });
      const order: string[] = [];
      manager.register({ name: "first", hooks: {}, shutdown: () => void order.push("first") });
      manager.register({
        name: "second",
        hooks: {},
        shutdown() {
          throw new Error("socket already closed");
        },
      });
      const outcome = await manager.shutdown().then(() => "resolved", (e: Error) => e.message);
      expect(outcome).toBe(onError === "throw" ? "socket already closed" : "resolved");
      expect(order).toEqual(["first"]);
      expect(manager.failures.map((f) => `${f.plugin}:${f.hook}`)).toEqual(["second:shutdown"]);
    }
  });

  it("bounds a hanging shutdown by the manager's deadline", async () => {
    const { manager, log } = testManager({ timeoutMs: 20 });
    manager.register({ name: "hangs", hooks: {}, shutdown: () => new Promise<void>(() => {}) });
    await manager.shutdown();
    expect(log.at("error")).toEqual([
      'Plugin "hangs" failed to shut down: Plugin "hangs" did not shut down within 20 ms',
    ]);
  });

  it("lets a call that is in flight at shutdown still time out", async () => {
    const m = callManager({ timeoutMs: 40 });
    m.register({ name: "hangs", hooks: { collect: () => new Promise(() => {}) } });
    const call = m.hook.collect({ n: 1 });
    await m.shutdown();
    const outcome = await Promise.race([call, sleep(1000).then(() => "still pending")]);
    expect(outcome).toEqual([]);
  });
});
