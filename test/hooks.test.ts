// Hook callers (src/hooks.ts): the call order they sort, and when they take a change.
import { describe, expect, it } from "vitest";
import { definePlugin } from "../src/plugin.ts";
import { callManager, makeTask, testManager } from "./_helpers.ts";

const task = makeTask();

describe("call order", () => {
  it("runs plain implementations in registration order", () => {
    const { manager } = testManager();
    const seen: string[] = [];
    for (const name of ["a", "b", "c"]) {
      manager.register({ name, hooks: { onTaskCreated: () => void seen.push(name) } });
    }
    manager.hook.onTaskCreated({ task });
    expect(seen).toEqual(["a", "b", "c"]);
  });

  it("runs tryFirst implementations, then the rest, then tryLast ones", () => {
    const { manager } = testManager();
    const seen: string[] = [];
    const mark = (label: string) => () => void seen.push(label);
    manager.register({ name: "p1", hooks: { onTaskCreated: { handler: mark("p1:last"), tryLast: true } } });
    manager.register({ name: "p2", hooks: { onTaskCreated: mark("p2:plain") } });
    manager.register({ name: "p3", hooks: { onTaskCreated: { handler: mark("p3:first"), tryFirst: true } } });
    manager.register({ name: "p4", hooks: { onTaskCreated: { handler: mark("p4:last"), tryLast: true } } });
    manager.register({ name: "p5", hooks: { onTaskCreated: { handler: mark("p5:first"), tryFirst: true } } });
    manager.register({ name: "p6", hooks: { onTaskCreated: mark("p6:plain") } });
    manager.hook.onTaskCreated({ task });
    expect(seen).toEqual(["p3:first", "p5:first", "p2:plain", "p6:plain", "p1:last", "p4:last"]);
  });

  it("keeps the order when a plugin is unregistered and registered again (it goes to the end)", () => {
    const { manager } = testManager();
    const seen: string[] = [];
    const plugin = (name: string) => ({ name, hooks: { onAgentDied: () => void seen.push(name) } });
    manager.register(plugin("a"));
    manager.register(plugin("b"));
    manager.register(plugin("c"));
    manager.unregister("a");
    manager.register(plugin("a"));
    manager.hook.onAgentDied({ agentId: "x", reason: "done" });
    expect(seen).toEqual(["b", "c", "a"]);
  });

  it("orders the implementations of a plugin typed with definePlugin like any other", () => {
    const { manager } = testManager();
    const seen: string[] = [];
    manager.register(definePlugin({
      name: "typed",
      hooks: {
        onAgentDied: { tryFirst: true, handler: ({ agentId }) => void seen.push(`typed:${agentId}`) },
      },
    }));
    manager.register({ name: "plain", hooks: { onAgentDied: () => void seen.push("plain") } });
    manager.hook.onAgentDied({ agentId: "a7", reason: "done" });
    expect(seen).toEqual(["typed:a7", "plain"]);
  });
});

describe("registration changes during a call", () => {
  it("take effect from the next call", async () => {
    const m = callManager();
    const seen: string[] = [];
    m.register({
      name: "a",
      hooks: {
        collect: {
          wrapper: (_a, next) => {
            seen.push("a");
            m.unregister("a");
            m.register({
              name: "z",
              hooks: { collect: { tryFirst: true, wrapper: (_x, n) => (seen.push("z"), n()) } },
            });
            return next();
          },
        },
      },
    });
    m.register({ name: "b", hooks: { collect: { wrapper: (_a, next) => (seen.push("b"), next()) } } });
    m.register({ name: "c", hooks: { collect: () => void seen.push("c") } });
    await m.hook.collect({ n: 1 });
    expect(seen).toEqual(["a", "b", "c"]);
    seen.length = 0;
    await m.hook.collect({ n: 2 });
    expect(seen).toEqual(["z", "b", "c"]);
  });
});
