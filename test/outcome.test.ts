// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
// Recording an invocation's outcome (src/outcome.ts): failure records and the log,
// result checks, the circuit breaker.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { PluginManager } from "../src/manager.ts";
import { defineHookSpec } from "../src/spec.ts";
import { callManager, makeTask, recordingLogger, sleep, testManager } from "./_helpers.ts";

const task = makeTask();
const args = { task };

describe("failure records", () => {
  it("records and logs a synchronous throw and runs the remaining implementations", () => {
    const { manager, log } = testManager();
    const seen: string[] = [];
    manager.register({ name: "before", hooks: { onTaskCreated: () => void seen.push("before") } });
    manager.register({
      name: "broken",
      hooks: {
        onTaskCreated() {
          throw new Error("disk full");
        },
      },
    });
    manager.register({ name: "after", hooks: { onTaskCreated: () => void seen.push("after") } });
    expect(manager.hook.onTaskCreated(args)).toEqual([]);
    expect(seen).toEqual(["before", "after"]);
    expect(manager.failures).toHaveLength(1);
    expect(manager.failures[0]).toMatchObject({ plugin: "broken", hook: "onTaskCreated", kind: "error" });
    expect((manager.failures[0].error as Error).message).toBe("disk full");
    expect(manager.failures[0].time).toBeGreaterThan(0);
    expect(log.at("error")).toEqual(['Plugin "broken" failed in hook "onTaskCreated": disk full']);
  });

  it("records an async rejection and keeps going", async () => {
    const { manager } = testManager();
    const seen: string[] = [];
    manager.register({
      name: "rejects",
      hooks: { onTaskCreated: () => Promise.reject(new Error("503 from Slack")) },
    });
    manager.register({ name: "after", hooks: { onTaskCreated: async () => void seen.push("after") } });
    await manager.hook.onTaskCreated(args);
    expect(seen).toEqual(["after"]);
    expect(manager.failures.map((f) => [f.plugin, (f.error as Error).message])).toEqual([
      ["rejects", "503 from Slack"],
    ]);
  });

  it("records a thrown non-Error value with its text", () => {
    const { manager, log } = testManager();
    manager.register({
      name: "strings",
      hooks: {
        onAgentDied() {
          throw "nope";
        },
      },
    });
    manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    expect(manager.failures[0].error).toBe("nope");
    expect(log.at("error")[0]).toContain(": nope");
  });

  it("keeps at most maxRecordedFailures failures, newest last", () => {
    const { manager } = testManager({ maxRecordedFailures: 3, circuitBreaker: false });
    let i = 0;
    manager.register({
      name: "p",
      hooks: {
        onAgentDied() {
          throw new Error(`failure ${++i}`);
        },
      },
    });
    for (let k = 0; k < 5; k++) manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    expect(manager.failures.map((f) => (f.error as Error).message)).toEqual([
      "failure 3",
      "failure 4",
      "failure 5",
    ]);
  });
});

describe("result checks", () => {
  it("records an invalid result as the plugin's failure", () => {
    const { manager } = testManager();
    const m = manager.addHookSpecs({
      pickModel: defineHookSpec({
        args: v.object({}),
        result: v.picklist(["opus", "sonnet"]),
        doc: "Picks a model.",
        firstResult: true,
      }),
    }, "host");
    m.register({ name: "wrong", hooks: { pickModel: () => "gpt" as never } });
    m.register({ name: "right", hooks: { pickModel: () => "sonnet" } });
    expect(m.hook.pickModel({})).toBe("sonnet");
    expect((m.failures[0].error as Error).message).toBe(
      'Plugin "wrong" returned an invalid result from hook "pickModel": Invalid type: Expected ("opus" | "sonnet") but received "gpt"',
    );
  });

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

describe("circuit breaker", () => {
  it("suspends a plugin after the configured consecutive failures, logs once, and resumes", async () => {
    const { manager, log } = testManager({ circuitBreaker: 3, timeoutMs: 10 });
    let calls = 0;
    let mode: "throw" | "hang" | "ok" = "throw";
    manager.register({
      name: "flaky",
      hooks: {
        onTaskCreated() {
          calls++;
          if (mode === "throw") throw new Error("boom");
          if (mode === "hang") return sleep(50) as never;
        },
      },
    });
    manager.hook.onTaskCreated(args);
    manager.hook.onTaskCreated(args);
    mode = "hang";
    await manager.hook.onTaskCreated(args);
    expect(calls).toBe(3);
    expect(manager.stats()[0]).toMatchObject({
      suspended: true,
      consecutiveFailures: 3,
      errors: 2,
      timeouts: 1,
    });
    expect(manager.list()[0].suspended).toBe(true);
    manager.hook.onTaskCreated(args);
    manager.hook.onTaskCreated(args);
    expect(calls).toBe(3);
    const suspensions = log.at("error").filter((line) => line.includes("suspended"));
    expect(suspensions).toEqual([
      'Plugin "flaky" suspended after 3 consecutive failures; fix it and call resume("flaky") to enable it again',
    ]);
    mode = "ok";
    manager.resume("flaky");
    manager.hook.onTaskCreated(args);
    expect(calls).toBe(4);
    expect(manager.stats()[0]).toMatchObject({ suspended: false, consecutiveFailures: 0 });
  });

  it("resets the count on success, so only consecutive failures count", () => {
    const { manager } = testManager({ circuitBreaker: 2 });
    let fail = true;
    manager.register({
      name: "alternating",
      hooks: {
        onAgentDied() {
          const now = fail;
          fail = !fail;
          if (now) throw new Error("odd");
        },
      },
    });
    for (let i = 0; i < 6; i++) manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    expect(manager.stats()[0]).toMatchObject({ suspended: false, errors: 3, calls: 6 });
  });

  it("suspends wrappers too, and the call goes straight to the inner implementations", () => {
    const { manager } = testManager({ circuitBreaker: 1 });
    let wrapperCalls = 0;
    manager.register({ name: "inner", hooks: { onTaskCreated: () => "r" as never } });
    manager.register({
      name: "w",
      hooks: {
        onTaskCreated: {
          wrapper() {
            wrapperCalls++;
            throw new Error("no");
          },
        },
      },
    });
    expect(manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect(manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect(wrapperCalls).toBe(1);
  });

  it("can be turned off", () => {
    const { manager } = testManager({ circuitBreaker: false });
    manager.register({
      name: "always-fails",
      hooks: {
        onAgentDied() {
          throw new Error("x");
        },
      },
    });
    for (let i = 0; i < 20; i++) manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    expect(manager.stats()[0]).toMatchObject({ suspended: false, errors: 20 });
  });
});
