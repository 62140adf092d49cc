// Monitors (src/monitor.ts): before and after events, and monitors that fail or leave.
import { describe, expect, it } from "vitest";
import type { AfterEvent, BeforeEvent } from "../src/monitor.ts";
import { callManager, makeTask, sleep, testManager } from "./_helpers.ts";

const args = { task: makeTask() };

describe("monitors", () => {
  it("tells a monitor attached during an invocation nothing of its end, while other monitors see both", async () => {
    const { manager } = testManager({ timeoutMs: 1_000 });
    const events: string[] = [];
    const watch = (who: string) => ({
      before: (e: BeforeEvent) => events.push(`${who} before ${e.plugin}`),
      after: (e: AfterEvent) => events.push(`${who} after ${e.plugin}`),
    });
    manager.monitor(watch("first"));
    let attached = false;
    const attach = () => {
      if (!attached) manager.monitor(watch("late"));
      attached = true;
    };
    manager.register({ name: "sync", hooks: { onTaskCreated: () => attach() } });
    manager.register({ name: "async", hooks: { onTaskCreated: async () => {} } });
    manager.register({
      name: "wrapper",
      hooks: { onTaskCreated: { wrapper: (_args, next) => next() as never } },
    });
    await manager.hook.onTaskCreated(args);
    expect(events).toEqual([
      "first before wrapper",
      "first before sync",
      "first after sync",
      "first before async",
      "late before async",
      "first after async",
      "late after async",
      "first after wrapper",
    ]);
  });

  it("reports before and after every invocation with plugin, hook, duration and outcome", async () => {
    const { manager } = testManager({ timeoutMs: 15 });
    const events: string[] = [];
    let lastAfter: AfterEvent | undefined;
    let timeoutDuration = 0;
    const stop = manager.monitor({
      before: (e: BeforeEvent) =>
        void events.push(`before ${e.plugin}.${e.hook}${e.wrapper ? " (wrapper)" : ""}`),
      after: (e: AfterEvent) => {
        lastAfter = e;
        if (e.outcome === "timeout") timeoutDuration = e.durationMs;
        events.push(`after ${e.plugin}.${e.hook} ${e.outcome}`);
      },
    });
    manager.register({ name: "ok", hooks: { onTaskCreated: () => "fine" as never } });
    manager.register({
      name: "err",
      hooks: {
        onTaskCreated() {
          throw new Error("x");
        },
      },
    });
    manager.register({ name: "slow", hooks: { onTaskCreated: () => sleep(60) } });
    manager.register({ name: "wrap", hooks: { onTaskCreated: { wrapper: (_a, next) => next() } } });
    await manager.hook.onTaskCreated(args);
    expect(events).toEqual([
      "before wrap.onTaskCreated (wrapper)",
      "before ok.onTaskCreated",
      "after ok.onTaskCreated ok",
      "before err.onTaskCreated",
      "after err.onTaskCreated error",
      "before slow.onTaskCreated",
      "after slow.onTaskCreated timeout",
      "after wrap.onTaskCreated ok",
    ]);
    expect(lastAfter?.result).toEqual(["fine"]);
    expect(timeoutDuration).toBeGreaterThanOrEqual(10);
    // A wrapper's duration is its own time, without the inner implementations'.
    expect(lastAfter?.durationMs).toBeLessThan(timeoutDuration);
    stop();
    events.length = 0;
    await manager.hook.onTaskCreated(args);
    expect(events).toEqual([]);
  });

  it("logs a monitor that throws and carries on", () => {
    const { manager, log } = testManager();
    manager.monitor({
      before() {
        throw new Error("monitor bug");
      },
    });
    let called = false;
    manager.register({ name: "p", hooks: { onAgentDied: () => void (called = true) } });
    manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    expect(called).toBe(true);
    expect(log.at("error")).toEqual(["A hook monitor failed: monitor bug"]);
  });

  it("keeps calling every monitor when one removes itself during a call", () => {
    const m = callManager();
    const seen: string[] = [];
    const stop = m.monitor({ before: () => (seen.push("first"), stop()) });
    m.monitor({ before: () => void seen.push("second") });
    m.register({ name: "p", hooks: { collect() {} } });
    m.hook.collect({ n: 1 });
    m.hook.collect({ n: 2 });
    expect(seen).toEqual(["first", "second", "second"]);
  });
});
