// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
// Behaviour at the edges: wrappers and deadlines, registration changes during a
// call, historic replay races, strict mode without unhandled rejections, freezing.
import process from "node:process";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PluginValidationError } from "../src/errors.ts";
import { PluginManager } from "../src/manager.ts";
import { defineHookSpec } from "../src/spec.ts";
import { makeTask, recordingLogger, sleep } from "./_helpers.ts";

const specs = {
  collect: defineHookSpec({ args: v.object({ n: v.number() }), doc: "Collects one value from each plugin." }),
  pick: defineHookSpec({
    args: v.object({}),
    result: v.string(),
    doc: "First answer wins.",
    firstResult: true,
  }),
  remember: defineHookSpec({ args: v.object({ n: v.number() }), doc: "Historic.", historic: true }),
};

function manager(options: ConstructorParameters<typeof PluginManager>[0] = {}) {
  return new PluginManager({ logger: recordingLogger(), ...options }).addHookSpecs(specs, "edge");
}

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on("unhandledRejection", onUnhandled);
});
afterEach(() => void process.off("unhandledRejection", onUnhandled));

describe("wrapper deadlines", () => {
  it("do not count the time the inner implementations take", async () => {
    const m = manager({ timeoutMs: 50 });
    for (const name of ["a", "b", "c"]) {
      m.register({ name, hooks: { collect: async () => (await sleep(30), name) } });
    }
    m.register({ name: "w", hooks: { collect: { wrapper: (_a, next) => next() } } });
    expect(await m.hook.collect({ n: 1 })).toEqual(["a", "b", "c"]);
    expect(m.failures).toEqual([]);
  });

  it("blame the hanging inner plugin, not the wrapper that waits for it", async () => {
    const m = manager({ timeoutMs: 30, circuitBreaker: 2 });
    m.register({ name: "hangs", hooks: { collect: () => sleep(200) } });
    m.register({
      name: "w",
      hooks: {
        collect: {
          wrapper: async (_a, next) => {
            await null;
            return next();
          },
        },
      },
    });
    await m.hook.collect({ n: 1 });
    await m.hook.collect({ n: 2 });
    expect(m.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual(["hangs:timeout", "hangs:timeout"]);
    expect(m.stats().map((s) => `${s.name}:${s.suspended}`)).toEqual(["hangs:true", "w:false"]);
  });

  it("still catch a wrapper that is slow on its own", async () => {
    const m = manager({ timeoutMs: 20 });
    m.register({ name: "inner", hooks: { collect: async () => "x" } });
    m.register({
      name: "slow",
      hooks: {
        collect: {
          wrapper: async (_a, next) => {
            const inner = await next();
            await sleep(80);
            return inner;
          },
        },
      },
    });
    expect(await m.hook.collect({ n: 1 })).toEqual(["x"]);
    expect(m.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual(["slow:timeout"]);
  });
});

describe("strict mode", () => {
  it("leaves no unhandled rejection when a wrapper throws after starting an async inner call", async () => {
    const m = manager({ onError: "throw" });
    m.register({
      name: "inner",
      hooks: { collect: async () => (await sleep(5), Promise.reject(new Error("inner"))) },
    });
    m.register({
      name: "w",
      hooks: {
        collect: {
          wrapper: (_a, next) => {
            next();
            throw new Error("wrapper first");
          },
        },
      },
    });
    expect(() => m.hook.collect({ n: 1 })).toThrow("wrapper first");
    await sleep(30);
    expect(unhandled).toEqual([]);
  });

  it("never runs the inner implementations after a wrapper's timeout ended the call", async () => {
    const m = manager({ onError: "throw", timeoutMs: 20 });
    const seen: string[] = [];
    m.register({ name: "inner", hooks: { collect: () => void seen.push("inner") } });
    m.register({
      name: "late",
      hooks: {
        collect: {
          wrapper: async (_a, next) => {
            await sleep(50);
            return next();
          },
        },
      },
    });
    await expect(m.hook.collect({ n: 1 })).rejects.toThrow("did not finish");
    await sleep(60);
    expect(seen).toEqual([]);
  });

  it("reports a passthrough wrapper's invocation to monitors with its outcome", () => {
    const m = manager({ onError: "throw" });
    const events: string[] = [];
    m.monitor({
      before: (e) => void events.push(`before ${e.plugin}`),
      after: (e) => void events.push(`after ${e.plugin} ${e.outcome}`),
    });
    m.register({
      name: "inner",
      hooks: {
        collect() {
          throw new Error("x");
        },
      },
    });
    m.register({ name: "w", hooks: { collect: { wrapper: (_a, next) => next() } } });
    expect(() => m.hook.collect({ n: 1 })).toThrow("x");
    expect(events).toEqual(["before w", "before inner", "after inner error", "after w error"]);
    expect(m.stats().map((s) => `${s.name}:${s.calls}:${s.errors}`)).toEqual(["inner:1:1", "w:1:0"]);
  });

  it("keeps a plugin whose replay failed registered, and reports the error from idle()", async () => {
    const m = manager({ onError: "throw" });
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

describe("odd thenables", () => {
  it("treats a thenable whose then() throws as a failure and carries on, with no stray timer", async () => {
    const m = manager({ timeoutMs: 30 });
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

describe("results, shutdown and statistics", () => {
  it("return the result schema's output, with its transforms and defaults, on every path", async () => {
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

  it("let a call that is in flight at shutdown still time out", async () => {
    const m = manager({ timeoutMs: 40 });
    m.register({ name: "hangs", hooks: { collect: () => new Promise(() => {}) } });
    const call = m.hook.collect({ n: 1 });
    await m.shutdown();
    const outcome = await Promise.race([call, sleep(1000).then(() => "still pending")]);
    expect(outcome).toEqual([]);
  });

  it("count each timeout once at its own length, timed or not, never scaled like a sample", async () => {
    const m = manager({ timeoutMs: 20, circuitBreaker: false });
    let hang = false;
    m.register({ name: "p", hooks: { collect: () => (hang ? new Promise(() => {}) : undefined) } });
    // Trivial calls first, so that calls are timed rarely and each sample stands for several.
    for (let i = 0; i < 40; i++) await m.hook.collect({ n: i });
    const before = m.stats()[0].totalMs;
    hang = true;
    const began = performance.now();
    // The first of these to be timed carries the weight of the untimed calls before it.
    for (let i = 0; i < 12; i++) await m.hook.collect({ n: i });
    const wallMs = performance.now() - began;
    const [stats] = m.stats();
    expect(stats).toMatchObject({ calls: 52, timeouts: 12 });
    expect(stats.maxMs).toBeGreaterThanOrEqual(20);
    // The timeouts add their own lengths and nothing else: at least their deadlines, and no more
    // than the time they took. Scaled by a weight, one would count two or more times over. The
    // bound is the measured wall time, not a constant, so a loaded machine cannot fail it.
    const added = stats.totalMs - before;
    expect(added).toBeGreaterThanOrEqual(12 * 20);
    expect(added).toBeLessThanOrEqual(wallMs + 0.5);
  });

  it("refuses flags that are not booleans, so that nothing odd reaches generated code", () => {
    expect(() => defineHookSpec({ args: v.object({}), doc: "x", firstResult: "(1, true)" as never })).toThrow(
      'firstResult must be true or false, not "(1, true)"',
    );
  });
});

describe("thenables that call back more than once", () => {
  it("count the first settlement only and continue the call once", async () => {
    const m = manager();
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

describe("registration changes during a call", () => {
  it("take effect from the next call", async () => {
    const m = manager();
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

  it("skip a plugin unregistered while the call was waiting", async () => {
    const m = manager();
    const seen: string[] = [];
    m.register({ name: "first", hooks: { collect: async () => void m.unregister("second") } });
    m.register({ name: "second", hooks: { collect: () => void seen.push("second") } });
    await m.hook.collect({ n: 1 });
    expect(seen).toEqual([]);
  });
});

describe("historic replay", () => {
  it("delivers every call exactly once, in order, even when calls arrive during an async replay", async () => {
    const m = manager();
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
    const m = manager();
    for (let n = 1; n <= 3; n++) m.hook.remember({ n });
    const seen: number[] = [];
    m.register({ name: "late", hooks: { remember: async ({ n }) => (await sleep(5), void seen.push(n)) } });
    await sleep(2);
    m.unregister("late");
    await m.idle();
    expect(seen).toEqual([1]);
  });
});

describe("frozen arguments", () => {
  it("with validation on, never freezes the host's nested objects", () => {
    const m = new PluginManager({ logger: recordingLogger() });
    const labels = ["ui"];
    const task = makeTask({ metadata: { labels, owner: { name: "ada" } } });
    let blocked = false;
    m.register({
      name: "p",
      hooks: {
        onTaskCreated({ task }) {
          try {
            (task.metadata.labels as string[]).push("hack");
          } catch {
            blocked = true;
          }
        },
      },
    });
    m.hook.onTaskCreated({ task });
    expect(blocked).toBe(true);
    labels.push("host can still change its own data");
    expect(Object.isFrozen(task.metadata)).toBe(false);
    expect(Object.isFrozen((task.metadata as { owner: object }).owner)).toBe(false);
  });

  it("with validation off, freezes inside objects the host had frozen only shallowly", () => {
    const m = new PluginManager({ logger: recordingLogger(), validate: false });
    const task = makeTask();
    const args = Object.freeze({ task });
    let changed = false;
    m.register({
      name: "p",
      hooks: {
        onTaskCreated({ task }) {
          try {
            (task as { title: string }).title = "HACKED";
            changed = true;
          } catch {
            // frozen, as it should be
          }
        },
      },
    });
    m.hook.onTaskCreated(args);
    expect(changed).toBe(false);
    expect(task.title).toBe("Add login form");
  });
});

describe("specs and options", () => {
  it("lets a plugin that adds specs be registered again after unregister or block", () => {
    const m = manager();
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

  it("refuses an optional wrapper for a hook that turns out historic, from a plugin's specs", () => {
    const m = manager();
    m.register(
      {
        name: "w",
        hooks: {
          onLater: {
            optional: true,
            wrapper: (_a: unknown, n: () => unknown) => n(),
          },
        },
      } as never,
    );
    const later = { onLater: defineHookSpec({ args: v.object({}), doc: "Later.", historic: true }) };
    let error: unknown;
    try {
      m.register({ name: "spec-owner", specs: later, hooks: {} } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PluginValidationError);
    expect((error as Error).message).toBe(
      'Cannot register plugin "spec-owner": specs.onLater: "onLater" is historic, but plugin "w" implements it with a wrapper',
    );
  });

  it("warns about a deprecated hook when an optional implementation joins it later", () => {
    const log = recordingLogger();
    const m = new PluginManager({ logger: log });
    m.register({ name: "early", hooks: { onOld: { optional: true, handler() {} } } } as never);
    m.addHookSpecs(
      { onOld: defineHookSpec({ args: v.object({}), doc: "Old.", deprecated: "use onNew" }) },
      "host",
    );
    expect(log.at("warn")).toEqual(['Plugin "early" implements deprecated hook "onOld": use onNew']);
  });

  it("checks a firstResult wrapper's answer against the result schema", () => {
    const m = manager();
    m.register({ name: "inner", hooks: { pick: () => "fine" } });
    m.register({ name: "w", hooks: { pick: { wrapper: () => 42 as never } } });
    expect(m.hook.pick({})).toBe("fine");
    expect(m.failures.map((f) => f.plugin)).toEqual(["w"]);
  });

  it("refuses deadlines longer than timers allow", () => {
    expect(() => new PluginManager({ timeoutMs: 3_000_000_000 })).toThrow(
      "timeoutMs must be a positive number up to 2147483647, not 3000000000",
    );
    expect(() => defineHookSpec({ args: v.object({}), doc: "x", timeoutMs: 3_000_000_000 })).toThrow(
      "up to 2147483647",
    );
    const m = manager();
    expect(() => m.register({ name: "p", hooks: { collect: { handler() {}, timeoutMs: 3_000_000_000 } } }))
      .toThrow(
        "hooks.collect.timeoutMs: must be at most 2147483647 ms (about 24.8 days)",
      );
  });

  it("keeps calling every monitor when one removes itself during a call", () => {
    const m = manager();
    const seen: string[] = [];
    const stop = m.monitor({ before: () => (seen.push("first"), stop()) });
    m.monitor({ before: () => void seen.push("second") });
    m.register({ name: "p", hooks: { collect() {} } });
    m.hook.collect({ n: 1 });
    m.hook.collect({ n: 2 });
    expect(seen).toEqual(["first", "second", "second"]);
  });
});

describe("the asynchronous rest of a call", () => {
  it("keeps order, isolation and deadlines for every kind of implementation after the first promise", async () => {
    const m = manager({ timeoutMs: 1_000, circuitBreaker: false });
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
    const m = manager({ circuitBreaker: 1 });
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
    const m = manager({ onError: "throw" });
    const seen: string[] = [];
    m.register({ name: "a", hooks: { collect: async () => void seen.push("a") } });
    m.register({ name: "b", hooks: { collect: () => Promise.reject(new Error("strict boom")) } });
    m.register({ name: "c", hooks: { collect: () => void seen.push("c") } });
    await expect(m.hook.collect({ n: 1 })).rejects.toThrow("strict boom");
    expect(seen).toEqual(["a"]);
  });
});
