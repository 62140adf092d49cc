// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
// The call loop (src/runner.ts) on hand-built callers, without a manager, as
// pluggy's test_multicall: each test makes a HookCaller and its records with
// src/hooks.ts and calls HookRunner.call directly.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { HookArgumentsError, HookTimeoutError } from "../src/errors.ts";
import { createPluginState, createRecord, HookCaller, type PluginState } from "../src/hooks.ts";
import { silentLogger } from "../src/logger.ts";
import { HookRunner } from "../src/runner.ts";
import { defineHookSpec, type HookSpec } from "../src/spec.ts";
import { callManager, sleep } from "./_helpers.ts";

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

describe("historic replay", () => {
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
