// The plugin manager (src/manager.ts): re-registering, and shutdown.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineHookSpec } from "../src/spec.ts";
import { callManager, sleep } from "./_helpers.ts";

describe("the plugin manager", () => {
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
  it("lets a call that is in flight at shutdown still time out", async () => {
    const m = callManager({ timeoutMs: 40 });
    m.register({ name: "hangs", hooks: { collect: () => new Promise(() => {}) } });
    const call = m.hook.collect({ n: 1 });
    await m.shutdown();
    const outcome = await Promise.race([call, sleep(1000).then(() => "still pending")]);
    expect(outcome).toEqual([]);
  });
});
