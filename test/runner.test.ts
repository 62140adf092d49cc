// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
// The call loop (src/runner.ts) on hand-built callers, without a manager, as
// pluggy's test_multicall: each test makes a HookCaller and its records with
// src/hooks.ts and calls HookRunner.call directly. The tests after those drive the
// same loop through a PluginManager.
import * as v from "valibot";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HookArgumentsError, HookTimeoutError } from "../src/errors.ts";
import { createPluginState, createRecord, HookCaller, type PluginState } from "../src/hooks.ts";
import { silentLogger } from "../src/logger.ts";
import { HookRunner } from "../src/runner.ts";
import { defineHookSpec, type HookSpec } from "../src/spec.ts";
import { callManager, makeTask, resultSpecs, sleep, testManager } from "./_helpers.ts";

/** A runner as a manager would make it, with the breaker off unless asked. */
function runner(
  options: { strict?: boolean; validate?: boolean; breakerThreshold?: number } = {},
): HookRunner {
  return new HookRunner({
    strict: options.strict ?? false,
    validate: options.validate ?? true,
    breakerThreshold: options.breakerThreshold ?? 0,
    maxFailures: 10,
    logger: silentLogger,
  });
}

const collect = defineHookSpec({ args: v.object({ n: v.number() }), doc: "Collects one value from each." });
const pick = defineHookSpec({
  args: v.object({ n: v.number() }),
  doc: "First answer wins.",
  firstResult: true,
});
const named = defineHookSpec({
  args: v.object({ n: v.number() }),
  result: v.string(),
  doc: "Answers a name.",
});

/** A caller of `spec` and a way to add implementations to it, each from a plugin of its own. */
function hook(spec: HookSpec, options: { timeoutMs?: number; validate?: boolean } = {}) {
  const caller = new HookCaller("test", spec, {
    source: "test",
    defaultTimeoutMs: options.timeoutMs ?? 1_000,
    everyCall: false,
  });
  const states: Record<string, PluginState> = {};
  const add = (name: string, impl: unknown): PluginState => {
    const state = states[name] ??= createPluginState({ name, hooks: {} }, silentLogger);
    const record = createRecord(caller, state, {
      impl,
      seq: caller.records.length,
      validate: options.validate ?? true,
    });
    state.records.push(record);
    caller.records.push(record);
    caller.invalidate();
    return state;
  };
  return { caller, states, add };
}

describe("the call loop on hand-built callers", () => {
  it("calls tryFirst implementations, then plain ones in registration order, then tryLast ones", () => {
    const { caller, add } = hook(collect);
    const seen: string[] = [];
    const impl = (name: string) => () => (seen.push(name), name);
    add("last", { handler: impl("last"), tryLast: true });
    add("plain1", impl("plain1"));
    add("first", { handler: impl("first"), tryFirst: true });
    add("plain2", impl("plain2"));
    expect(runner().call(caller, { n: 1 })).toEqual(["first", "plain1", "plain2", "last"]);
    expect(seen).toEqual(["first", "plain1", "plain2", "last"]);
  });

  it("drops undefined and null results and returns an empty list when nothing answers", () => {
    const { caller, add } = hook(collect);
    expect(runner().call(caller, { n: 1 })).toEqual([]);
    add("a", () => undefined);
    add("b", () => null);
    add("c", ({ n }: { n: number }) => n * 10);
    expect(runner().call(caller, { n: 2 })).toEqual([20]);
  });

  it("stops a firstResult hook at the first non-null result", () => {
    const { caller, add } = hook(pick);
    const seen: string[] = [];
    add("none", () => (seen.push("none"), undefined));
    add("nil", () => (seen.push("nil"), null));
    add("answer", () => (seen.push("answer"), "answer"));
    add("never", () => (seen.push("never"), "never"));
    expect(runner().call(caller, { n: 1 })).toBe("answer");
    expect(seen).toEqual(["none", "nil", "answer"]);
  });

  it("isolates a throwing implementation: recorded, counted against its plugin, and the call goes on", () => {
    const { caller, states, add } = hook(collect);
    const run = runner();
    add("before", () => "before");
    add("throws", () => {
      throw new Error("boom");
    });
    add("after", () => "after");
    expect(run.call(caller, { n: 1 })).toEqual(["before", "after"]);
    expect(run.out.failures.map((f) => `${f.plugin}/${f.hook}/${f.kind}: ${(f.error as Error).message}`))
      .toEqual(["throws/test/error: boom"]);
    expect(states.throws.stats.errors).toBe(1);
    expect(states.throws.consecutiveFailures).toBe(1);
    expect(states.before.stats.errors).toBe(0);
    expect(states.after.stats.errors).toBe(0);
  });

  it("throws the first failure in strict mode and calls nothing after it", () => {
    const { caller, states, add } = hook(collect);
    const seen: string[] = [];
    add("before", () => void seen.push("before"));
    add("throws", () => {
      throw new Error("strict boom");
    });
    add("after", () => void seen.push("after"));
    const run = runner({ strict: true });
    expect(() => run.call(caller, { n: 1 })).toThrow("strict boom");
    expect(seen).toEqual(["before"]);
    expect(run.out.failures.map((f) => f.plugin)).toEqual(["throws"]);
    expect(states.throws.stats.errors).toBe(1);
  });

  it("skips a suspended plugin (state.off) and calls it again once it is back on", () => {
    const { caller, states, add } = hook(collect);
    add("a", () => "a");
    add("off", () => "off");
    add("b", () => "b");
    const run = runner();
    states.off.off = true;
    expect(run.call(caller, { n: 1 })).toEqual(["a", "b"]);
    states.off.off = false;
    expect(run.call(caller, { n: 2 })).toEqual(["a", "off", "b"]);
  });

  it("suspends a plugin after breakerThreshold consecutive failures, and skips it from then on", () => {
    const { caller, states, add } = hook(collect);
    let calls = 0;
    add("flaky", () => {
      calls++;
      throw new Error("flaky");
    });
    add("ok", () => "ok");
    const run = runner({ breakerThreshold: 2 });
    for (let n = 0; n < 4; n++) expect(run.call(caller, { n })).toEqual(["ok"]);
    expect(calls).toBe(2);
    expect(states.flaky.suspended).toBe(true);
    expect(states.flaky.off).toBe(true);
    expect(run.out.failures.length).toBe(2);
  });

  it("returns synchronously until an implementation returns a promise, then carries the call on asynchronously", async () => {
    const { caller, add } = hook(collect);
    const seen: string[] = [];
    add("sync1", () => (seen.push("sync1"), "s1"));
    add("async", async () => (seen.push("async"), "a"));
    add("sync2", () => (seen.push("sync2"), "s2"));
    const result = runner().call(caller, { n: 1 });
    expect(result).toBeInstanceOf(Promise);
    expect(seen).toEqual(["sync1", "async"]);
    expect(await result).toEqual(["s1", "a", "s2"]);
    expect(seen).toEqual(["sync1", "async", "sync2"]);
  });

  it("keeps a call's results apart from a call of the same hook made during it, synchronously or not", async () => {
    const { caller, add } = hook(collect);
    const run = runner();
    // Odd calls make an inner call (n + 1000) from their first implementation. Enough
    // calls that most are untimed, where a list reuses the state of a call that ended.
    add(
      "outer",
      ({ n }: { n: number }) => n % 2 === 1 && n < 1000 ? run.call(caller, { n: n + 1000 }) : `outer ${n}`,
    );
    add("plain", ({ n }: { n: number }) => `plain ${n}`);
    for (let n = 0; n < 200; n++) {
      const inner = [`outer ${n + 1000}`, `plain ${n + 1000}`];
      expect(run.call(caller, { n })).toEqual(
        n % 2 === 1 ? [inner, `plain ${n}`] : [`outer ${n}`, `plain ${n}`],
      );
    }
    add("later", async ({ n }: { n: number }) => `later ${n}`);
    const pending = [0, 2, 4].map((n) => run.call(caller, { n }));
    expect(await Promise.all(pending)).toEqual(
      [0, 2, 4].map((n) => [`outer ${n}`, `plain ${n}`, `later ${n}`]),
    );
  });

  it("records an async rejection as a failure and goes on with the rest", async () => {
    const { caller, states, add } = hook(collect);
    const run = runner();
    add("rejects", async () => {
      throw new Error("async boom");
    });
    add("after", () => "after");
    expect(await run.call(caller, { n: 1 })).toEqual(["after"]);
    expect(run.out.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual(["rejects:error"]);
    expect(states.rejects.stats.errors).toBe(1);
  });

  it("ends a pending implementation at its deadline, aborts its signal and goes on without it", async () => {
    const { caller, states, add } = hook(collect, { timeoutMs: 30 });
    let signal: AbortSignal | undefined;
    add("hangs", (_args: unknown, ctx: { signal: AbortSignal }) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    add("after", () => "after");
    const run = runner();
    const began = performance.now();
    expect(await run.call(caller, { n: 1 })).toEqual(["after"]);
    expect(performance.now() - began).toBeGreaterThanOrEqual(29);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(HookTimeoutError);
    expect(run.out.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual(["hangs:timeout"]);
    expect(run.out.failures[0].error).toBeInstanceOf(HookTimeoutError);
    expect(states.hangs.stats.timeouts).toBe(1);
    expect(states.hangs.stats.errors).toBe(0);
  });

  it("runs wrappers outermost first around the plain implementations through next()", () => {
    const { caller, add } = hook(collect);
    const seen: string[] = [];
    const wrapper = (name: string) => ({
      wrapper: (_args: unknown, next: () => unknown) => {
        seen.push(`${name} before`);
        const inner = next() as string[];
        seen.push(`${name} after`);
        return [...inner, name];
      },
    });
    add("inner", () => (seen.push("inner"), "i"));
    add("outer", wrapper("outer"));
    add("middle", wrapper("middle"));
    expect(runner().call(caller, { n: 1 })).toEqual(["i", "middle", "outer"]);
    expect(seen).toEqual(["outer before", "middle before", "inner", "middle after", "outer after"]);
  });

  it("checks results against the hook's result schema when validation is on, and not when it is off", () => {
    const on = hook(named);
    on.add("good", () => "ada");
    on.add("bad", () => 42);
    const run = runner();
    expect(run.call(on.caller, { n: 1 })).toEqual(["ada"]);
    expect(run.out.failures.map((f) => `${f.plugin}: ${(f.error as Error).message}`)).toEqual([
      'bad: Plugin "bad" returned an invalid result from hook "test": Invalid type: Expected string but received 42',
    ]);
    expect(on.states.bad.stats.errors).toBe(1);

    const off = hook(named, { validate: false });
    off.add("good", () => "ada");
    off.add("bad", () => 42);
    const unchecked = runner({ validate: false });
    expect(unchecked.call(off.caller, { n: 1 })).toEqual(["ada", 42]);
    expect(unchecked.out.failures).toEqual([]);
  });

  it("rejects arguments that do not match the spec before calling anything", () => {
    const { caller, add } = hook(collect);
    let called = false;
    add("p", () => void (called = true));
    const run = runner();
    expect(() => run.call(caller, { n: "one" })).toThrow(HookArgumentsError);
    expect(() => run.call(caller, { n: "one" })).toThrow('Invalid arguments for hook "test"');
    expect(called).toBe(false);
  });
});

// ---- through the manager
// The same loop driven through a PluginManager: results, arguments, the
// asynchronous rest of a call, odd thenables, deadlines, strict mode and replays.

const task = makeTask();
const args = { task };

function resultManager() {
  return testManager().manager.addHookSpecs(resultSpecs, "test host");
}

const historicSpecs = {
  onConfigured: defineHookSpec({
    args: v.object({ key: v.string() }),
    doc: "Called once per setting; late plugins get every earlier call replayed.",
    historic: true,
  }),
};

describe("results", () => {
  it("returns the non-null results in call order, dropping undefined and null", () => {
    const m = resultManager();
    m.register({ name: "a", hooks: { collectLabels: () => "ui" } });
    m.register({ name: "b", hooks: { collectLabels: () => undefined } });
    m.register({ name: "c", hooks: { collectLabels: () => null as never } });
    m.register({ name: "d", hooks: { collectLabels: { handler: () => "urgent", tryFirst: true } } });
    m.register({ name: "e", hooks: { collectLabels: async () => "backend" } });
    expect(m.hook.collectLabels({ taskId: "t" })).toBeInstanceOf(Promise);
    return expect(m.hook.collectLabels({ taskId: "t" })).resolves.toEqual(["urgent", "ui", "backend"]);
  });

  it("returns an empty list when no plugin implements the hook", () => {
    expect(resultManager().hook.collectLabels({ taskId: "t" })).toEqual([]);
  });

  it("stops a firstResult hook at the first non-null result", () => {
    const m = resultManager();
    const called: string[] = [];
    m.register({ name: "none", hooks: { selectModel: () => void called.push("none") } });
    m.register({ name: "opus", hooks: { selectModel: () => (called.push("opus"), "opus") } });
    m.register({ name: "haiku", hooks: { selectModel: () => (called.push("haiku"), "haiku") } });
    expect(m.hook.selectModel({ role: "backend" })).toBe("opus");
    expect(called).toEqual(["none", "opus"]);
  });

  it("returns undefined from a firstResult hook when nobody answers", async () => {
    const m = resultManager();
    m.register({ name: "none", hooks: { selectModel: async () => undefined } });
    expect(await m.hook.selectModel({ role: "backend" })).toBeUndefined();
  });

  it("stops a firstResult hook at the first async result too", async () => {
    const m = resultManager();
    const called: string[] = [];
    m.register({ name: "slow", hooks: { selectModel: async () => (called.push("slow"), "sonnet") } });
    m.register({ name: "later", hooks: { selectModel: () => (called.push("later"), "haiku") } });
    expect(await m.hook.selectModel({ role: "qa" })).toBe("sonnet");
    expect(called).toEqual(["slow"]);
  });
});

describe("argument validation", () => {
  const cases: { name: string; args: unknown; message: string }[] = [
    {
      name: "a priority out of range",
      args: { task: makeTask({ priority: 7 as never }) },
      message:
        'Invalid arguments for hook "onTaskCreated": task.priority: Invalid type: Expected (1 | 2 | 3) but received 7',
    },
    {
      name: "a missing task",
      args: {},
      message: 'Invalid arguments for hook "onTaskCreated": task: is required but missing',
    },
    {
      name: "an empty id and an unknown status",
      args: { task: makeTask({ id: "", status: "doing" as never }) },
      message: 'Invalid arguments for hook "onTaskCreated": 2 problems\n' +
        "  - task.id: must be a non-empty id\n" +
        '  - task.status: Invalid type: Expected ("planned" | "open" | "claimed" | "in_progress" | "done" | "closed" | "failed" | "blocked" | "cancelled") but received "doing"',
    },
  ];
  for (const c of cases) {
    it(`names the hook and the path for ${c.name}`, () => {
      const { manager } = testManager();
      let called = false;
      manager.register({ name: "p", hooks: { onTaskCreated: () => void (called = true) } });
      let caught: unknown;
      try {
        manager.hook.onTaskCreated(c.args as never);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(HookArgumentsError);
      expect((caught as Error).message).toBe(c.message);
      expect((caught as HookArgumentsError).hook).toBe("onTaskCreated");
      expect(called).toBe(false);
    });
  }

  it("rejects negative money and non-integer token counts", () => {
    const { manager } = testManager();
    expect(() => manager.hook.onCostThreshold({ totalUsd: -1, thresholdUsd: 5 })).toThrow(
      "totalUsd: Invalid value: Expected >=0 but received -1",
    );
    expect(() =>
      manager.hook.onTaskCompleted({ task: makeTask(), result: { summary: "ok", tokensUsed: 1.5 } })
    ).toThrow("result.tokensUsed: Invalid integer: Received 1.5");
  });

  it("does not check arguments when validation is off", () => {
    const { manager } = testManager({ validate: false });
    let got: unknown;
    manager.register({ name: "p", hooks: { onCostThreshold: (args) => void (got = args) } });
    manager.hook.onCostThreshold({ totalUsd: -1, thresholdUsd: 5 });
    expect(got).toEqual({ totalUsd: -1, thresholdUsd: 5 });
  });
});

describe("the synchronous path", () => {
  afterEach(() => void vi.restoreAllMocks());

  it("returns a plain value, not a promise, when every implementation is synchronous", () => {
    const { manager } = testManager();
    manager.register({ name: "a", hooks: { onTaskCreated: () => 1 as never } });
    manager.register({ name: "b", hooks: { onTaskCreated: { handler: () => 2 as never, tryLast: false } } });
    const result = manager.hook.onTaskCreated({ task });
    expect(result).toEqual([1, 2]);
  });

  it("starts no timer and creates no promise for synchronous implementations", () => {
    const { manager } = testManager();
    const timeout = vi.spyOn(globalThis, "setTimeout");
    const interval = vi.spyOn(globalThis, "setInterval");
    for (let i = 0; i < 5; i++) {
      manager.register({
        name: `sync${i}`,
        hooks: { onTaskCreated: () => undefined },
      });
    }
    const result = manager.hook.onTaskCreated({ task });
    expect(result).not.toBeInstanceOf(Promise);
    expect(timeout).not.toHaveBeenCalled();
    expect(interval).not.toHaveBeenCalled();
  });

  it("goes async only from the first implementation that returns a promise", async () => {
    const { manager } = testManager();
    const seen: string[] = [];
    manager.register({ name: "s1", hooks: { onTaskCreated: () => void seen.push("s1") } });
    manager.register({ name: "a1", hooks: { onTaskCreated: async () => void seen.push("a1") } });
    manager.register({ name: "s2", hooks: { onTaskCreated: () => void seen.push("s2") } });
    const pending = manager.hook.onTaskCreated({ task });
    // s1 ran and a1 started synchronously; s2 waits for a1 to settle.
    expect(seen).toEqual(["s1", "a1"]);
    await pending;
    expect(seen).toEqual(["s1", "a1", "s2"]);
  });

  it("gives a fresh context per invocation to any implementation that can read it", () => {
    const { manager } = testManager();
    const viaRest: unknown[] = [];
    const declared: unknown[] = [];
    manager.register({
      name: "p",
      hooks: {
        onTaskCreated(...all: unknown[]) {
          viaRest.push(all[1]);
        },
        onAgentDied(_args, ctx) {
          declared.push(ctx);
        },
      },
    });
    for (let i = 0; i < 2; i++) {
      manager.hook.onTaskCreated({ task });
      manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    }
    expect(viaRest[0]).not.toBe(viaRest[1]);
    expect(declared[0]).not.toBe(declared[1]);
    expect(viaRest[0]).toMatchObject({ plugin: "p", hook: "onTaskCreated" });
    expect(declared[0]).toMatchObject({ plugin: "p", hook: "onAgentDied" });
  });
});

describe("the asynchronous rest of a call", () => {
  it("keeps order, isolation and deadlines for every kind of implementation after the first promise", async () => {
    const m = callManager({ timeoutMs: 1_000, circuitBreaker: false });
    const seen: string[] = [];
    const add = (name: string, impl: unknown) => m.register({ name, hooks: { collect: impl as never } });
    add("async-a", async () => (seen.push("a"), "a"));
    add("sync-throws", () => {
      seen.push("throws");
      throw new Error("sync boom");
    });
    add("async-rejects", async () => {
      seen.push("rejects");
      throw new Error("async boom");
    });
    add("sync-b", () => (seen.push("b"), "b"));
    add("hangs", { handler: () => (seen.push("hangs"), new Promise(() => {})), timeoutMs: 30 });
    add("async-null", async () => (seen.push("null"), null));
    add("sync-d", () => (seen.push("d"), "d"));
    expect(await m.hook.collect({ n: 1 })).toEqual(["a", "b", "d"]);
    expect(seen).toEqual(["a", "throws", "rejects", "b", "hangs", "null", "d"]);
    expect(m.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual([
      "sync-throws:error",
      "async-rejects:error",
      "hangs:timeout",
    ]);
    expect(m.stats().map((s) => s.calls)).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it("stops at the first result of a firstResult hook, skipping suspended plugins", async () => {
    const m = callManager({ circuitBreaker: 1 });
    let flaky = 0;
    m.register({ name: "slow-none", hooks: { pick: async () => undefined } });
    m.register({
      name: "flaky",
      hooks: { pick: async () => (++flaky === 1 ? Promise.reject(new Error("x")) : "flaky") },
    });
    m.register({ name: "answer", hooks: { pick: async () => "answer" } });
    m.register({ name: "never", hooks: { pick: () => "never" } });
    expect(await m.hook.pick({})).toBe("answer");
    // flaky is suspended now: the second call skips it rather than taking its answer.
    expect(await m.hook.pick({})).toBe("answer");
    expect(flaky).toBe(1);
    expect(m.stats().map((s) => [s.name, s.calls])).toEqual([["slow-none", 2], ["flaky", 1], ["answer", 2], [
      "never",
      0,
    ]]);
  });

  it("rejects the call in strict mode at the first failure after a promise", async () => {
    const m = callManager({ onError: "throw" });
    const seen: string[] = [];
    m.register({ name: "a", hooks: { collect: async () => void seen.push("a") } });
    m.register({ name: "b", hooks: { collect: () => Promise.reject(new Error("strict boom")) } });
    m.register({ name: "c", hooks: { collect: () => void seen.push("c") } });
    await expect(m.hook.collect({ n: 1 })).rejects.toThrow("strict boom");
    expect(seen).toEqual(["a"]);
  });

  it("skips a plugin unregistered while the call was waiting", async () => {
    const m = callManager();
    const seen: string[] = [];
    m.register({ name: "first", hooks: { collect: async () => void m.unregister("second") } });
    m.register({ name: "second", hooks: { collect: () => void seen.push("second") } });
    await m.hook.collect({ n: 1 });
    expect(seen).toEqual([]);
  });
});

describe("odd thenables", () => {
  it("isolates a result whose then getter throws, before and after the call went async, and every 16th", async () => {
    const m = callManager({ timeoutMs: 1_000 });
    const poisoned = () =>
      ({
        get then(): never {
          throw new Error("then getter");
        },
      }) as never;
    // 20 plugins, so that one sits in the second generated chunk; one is async, so the
    // rest run in the call's async function.
    for (let i = 0; i < 20; i++) {
      const name = `p${i}`;
      m.register({
        name,
        hooks: {
          collect: i === 2 || i === 17 ? poisoned : i === 5 ? async () => name : () => name,
        },
      });
    }
    const expected = Array.from({ length: 20 }, (_, i) => `p${i}`).filter((name) =>
      name !== "p2" && name !== "p17"
    );
    expect(await m.hook.collect({ n: 1 })).toEqual(expected);
    expect(m.failures.map((f) => `${f.plugin}: ${(f.error as Error).message}`)).toEqual([
      "p2: then getter",
      "p17: then getter",
    ]);
  });

  it("treats a thenable whose then() throws as a failure and carries on, with no stray timer", async () => {
    const m = callManager({ timeoutMs: 30 });
    m.register({
      name: "weird",
      hooks: {
        collect: () =>
          ({
            then() {
              throw new Error("then exploded");
            },
          }) as never,
      },
    });
    m.register({ name: "after", hooks: { collect: () => "after" } });
    expect(await m.hook.collect({ n: 1 })).toEqual(["after"]);
    await sleep(60);
    expect(m.failures.map((f) => `${f.plugin}:${f.kind}:${(f.error as Error).message}`)).toEqual([
      "weird:error:then exploded",
    ]);
  });
});

describe("thenables that call back more than once", () => {
  it("count the first settlement only and continue the call once", async () => {
    const m = callManager();
    const seen: string[] = [];
    m.register({
      name: "chatty",
      hooks: {
        collect: () =>
          ({
            then(ok: (v: unknown) => void, fail: (e: unknown) => void) {
              ok("first");
              ok("second");
              fail(new Error("late"));
            },
          }) as never,
      },
    });
    m.register({ name: "after", hooks: { collect: () => void seen.push("after") } });
    expect(await m.hook.collect({ n: 1 })).toEqual(["first"]);
    expect(seen).toEqual(["after"]);
    expect(m.failures).toEqual([]);
    expect(m.stats().map((s) => s.calls)).toEqual([1, 1]);
  });
});

describe("a call's promise", () => {
  it("belongs to its own call when a promise hook makes another call while it is made (Node's async_hooks)", async () => {
    const { createHook } = await import("node:async_hooks");
    const { manager } = testManager({ timeoutMs: 1_000 });
    manager.register({ name: "a", hooks: { onTaskCreated: async ({ task }) => task.id as never } });
    // The nested call is made at the n-th promise the outer call creates, for n = 1..4:
    // one of them is the call's own promise, whose executor runs right after.
    let countdown = 0;
    const inners: Promise<unknown>[] = [];
    const hook = createHook({
      init(_id, type) {
        if (countdown === 0 || type !== "PROMISE" || --countdown !== 0) return;
        inners.push(manager.hook.onTaskCreated({ task: makeTask({ id: "inner" }) }) as Promise<unknown>);
      },
    });
    // Warm: the first call of a list is timed; the untimed ones make their promise in one shared executor.
    for (let i = 0; i < 3; i++) await manager.hook.onTaskCreated({ task });
    const outers: Promise<unknown>[] = [];
    hook.enable();
    try {
      for (let i = 0; i < 4; i++) {
        countdown = i + 1;
        outers.push(manager.hook.onTaskCreated({ task: makeTask({ id: `outer-${i}` }) }) as Promise<unknown>);
        countdown = 0;
      }
    } finally {
      hook.disable();
    }
    expect(await Promise.all(outers)).toEqual(outers.map((_, i) => [`outer-${i}`]));
    // Deno's async_hooks do not report promises; Node's do, and the nested call gets its own answer.
    expect(await Promise.all(inners)).toEqual(inners.map(() => ["inner"]));
    expect(inners.length).toBe("Deno" in globalThis ? 0 : 4);
  });
});

describe("timeouts", () => {
  it("aborts the signal, records the timeout, goes on, and ignores a late result", async () => {
    const { manager, log } = testManager({ timeoutMs: 20 });
    let signal: AbortSignal | undefined;
    let finishedLate = false;
    manager.register({
      name: "hangs",
      hooks: {
        async onTaskCreated(_a, ctx) {
          signal = ctx.signal;
          await sleep(80);
          finishedLate = true;
          return "late" as never;
        },
      },
    });
    manager.register({ name: "next", hooks: { onTaskCreated: () => "on time" as never } });
    const result = await manager.hook.onTaskCreated(args);
    expect(result).toEqual(["on time"]);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(HookTimeoutError);
    expect(manager.failures).toHaveLength(1);
    expect(manager.failures[0]).toMatchObject({ plugin: "hangs", kind: "timeout" });
    expect(log.at("error")[0]).toBe(
      'Plugin "hangs" did not finish hook "onTaskCreated" within 20 ms; the call went on without it',
    );
    await sleep(100);
    expect(finishedLate).toBe(true);
    expect(manager.stats()[0]).toMatchObject({ name: "hangs", timeouts: 1, errors: 0, calls: 1 });
    expect(log.at("debug")).toContain(
      'Plugin "hangs" returned from hook "onTaskCreated" after its deadline; ignored',
    );
  });

  it("takes the implementation's deadline over the hook's and the hook's over the manager's", async () => {
    const { manager } = testManager({ timeoutMs: 10_000 });
    const hooked = manager.addHookSpecs(
      {
        quick: (await import("../src/spec.ts")).defineHookSpec({
          args: (await import("valibot")).object({}),
          doc: "A hook with a short deadline.",
          timeoutMs: 15,
        }),
      },
      "test",
    );
    hooked.register({ name: "per-hook", hooks: { quick: () => sleep(200) } });
    hooked.register({
      name: "per-impl",
      hooks: { quick: { handler: () => sleep(60).then(() => "made it"), timeoutMs: 150 } },
    });
    hooked.register({
      name: "manager-default",
      hooks: { onAgentDied: { handler: () => sleep(30), timeoutMs: 5 } },
    });
    expect(await hooked.hook.quick({})).toEqual(["made it"]);
    await hooked.hook.onAgentDied({ agentId: "a", reason: "r" });
    expect(hooked.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual([
      "per-hook:timeout",
      "manager-default:timeout",
    ]);
  });

  it("aborts the signal of an implementation that reads ctx through a default or rest parameter", async () => {
    const { manager } = testManager({ timeoutMs: 15 });
    const signals: AbortSignal[] = [];
    manager.register({
      name: "defaulted",
      hooks: {
        // deno-lint-ignore no-explicit-any
        onTaskCreated: (_args: unknown, ctx: any = undefined) => (signals.push(ctx.signal), sleep(60)),
      },
    });
    manager.register({
      name: "rest",
      hooks: {
        onTaskCreated: (
          ...all: unknown[]
        ) => (signals.push((all[1] as { signal: AbortSignal }).signal), sleep(60)),
      },
    });
    await manager.hook.onTaskCreated(args);
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
  });
});

describe("strict mode", () => {
  it("propagates a synchronous throw and stops the call", () => {
    const { manager } = testManager({ onError: "throw" });
    const seen: string[] = [];
    manager.register({
      name: "broken",
      hooks: {
        onTaskCreated() {
          throw new Error("strict boom");
        },
      },
    });
    manager.register({ name: "after", hooks: { onTaskCreated: () => void seen.push("after") } });
    expect(() => manager.hook.onTaskCreated(args)).toThrow("strict boom");
    expect(seen).toEqual([]);
    expect(manager.failures).toHaveLength(1);
  });

  it("rejects with an async error and with a timeout", async () => {
    const { manager } = testManager({ onError: "throw", timeoutMs: 10 });
    manager.register({
      name: "rejects",
      hooks: { onTaskCreated: () => Promise.reject(new Error("async strict")) },
    });
    await expect(manager.hook.onTaskCreated(args)).rejects.toThrow("async strict");
    manager.register({ name: "hangs", hooks: { onAgentDied: () => sleep(100) } });
    await expect(manager.hook.onAgentDied({ agentId: "a", reason: "r" })).rejects.toBeInstanceOf(
      HookTimeoutError,
    );
  });
});

describe("historic replay", () => {
  it("replays under the hook's own deadline, not the manager's", async () => {
    const { manager } = testManager({ timeoutMs: 60_000 });
    const m = manager.addHookSpecs({
      onConfigured: defineHookSpec({ ...historicSpecs.onConfigured, timeoutMs: 30 }),
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
    const m = manager.addHookSpecs(historicSpecs, "host");
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
    const m = manager.addHookSpecs(historicSpecs, "host");
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
    const m = manager.addHookSpecs(historicSpecs, "host");
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
    const m = manager.addHookSpecs(historicSpecs, "host");
    m.hook.onConfigured({ key: "k" });
    let frozen = false;
    m.register({ name: "late", hooks: { onConfigured: (args) => void (frozen = Object.isFrozen(args)) } });
    expect(frozen).toBe(true);
  });

  it("replays through manager.use() and resolves after the replay", async () => {
    const { manager } = testManager();
    const m = manager.addHookSpecs(historicSpecs, "host");
    m.hook.onConfigured({ key: "z" });
    const seen: string[] = [];
    await m.use({
      name: "used",
      hooks: { onConfigured: async ({ key }) => void seen.push(key) },
    });
    expect(seen).toEqual(["z"]);
  });

  it("delivers every call exactly once, in order, even when calls arrive during an async replay", async () => {
    const m = callManager();
    m.hook.remember({ n: 1 });
    m.hook.remember({ n: 2 });
    const seen: number[] = [];
    m.register({ name: "late", hooks: { remember: async ({ n }) => (await sleep(5), void seen.push(n)) } });
    await m.hook.remember({ n: 3 });
    await m.idle();
    await m.hook.remember({ n: 4 });
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it("stops replaying to a plugin unregistered meanwhile", async () => {
    const m = callManager();
    for (let n = 1; n <= 3; n++) m.hook.remember({ n });
    const seen: number[] = [];
    m.register({ name: "late", hooks: { remember: async ({ n }) => (await sleep(5), void seen.push(n)) } });
    await sleep(2);
    m.unregister("late");
    await m.idle();
    expect(seen).toEqual([1]);
  });

  it("keeps a plugin whose replay failed registered, and reports the error from idle()", async () => {
    const m = callManager({ onError: "throw" });
    m.hook.remember({ n: 1 });
    m.register({
      name: "late",
      hooks: {
        remember() {
          throw new Error("replay boom");
        },
      },
    });
    expect(m.list().map((p) => p.name)).toEqual(["late"]);
    await expect(m.idle()).rejects.toThrow("replay boom");
  });
});
