// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
// Calls through wrappers take a compiled chain (src/_chain.ts) once a hook's first,
// timed call is past, and the general path when timed (`timing: "every-call"` times
// every call). Each scenario runs the same calls both ways and must give the same
// results, failures, counts and side effects, call after call. Implementations here
// are cheap (a pending one waits a microtask, not a timer): calls that take real
// time are timed every time, and would never reach the compiled chain.
import { describe, expect, it } from "vitest";
import { BernsteinError } from "../src/errors.ts";
import type { Plugin } from "../src/plugin.ts";
import process from "node:process";
import { recordingLogger, resultSpecs, sleep, testManager } from "./_helpers.ts";

const specs = resultSpecs;

type Specs = typeof specs;
type Next = () => unknown;

/** A scenario: plugins (given a log to write their side effects to) and one call. */
interface Scenario {
  plugins(log: string[], call: (n: number) => unknown, env: Env): Plugin<Specs>[];
  call(manager: ReturnType<typeof managerFor>["manager"], n: number): unknown;
}

/** What a scenario can change while it runs. */
interface Env {
  /** Makes the manager's logger throw on errors, as a broken log sink would. */
  loggerDown: boolean;
}

function managerFor(timing: "sampled" | "every-call", env: Env = { loggerDown: false }) {
  const log = recordingLogger();
  const logger = {
    ...log,
    error(message: string) {
      if (env.loggerDown) throw new Error("logger down");
      log.error(message);
    },
  };
  const { manager } = testManager<Specs>({ timing, circuitBreaker: 3, logger });
  return { manager: manager.addHookSpecs(specs, "test host"), log };
}

const labels = (n: number) => ({ taskId: `t${n}` });
/** Where a call falls in a cycle of eight, from its task id ("t13" is 5). */
const phase = (taskId: string) => Number(taskId.slice(1)) % 8;
/** Enough calls for every phase to come up on the compiled chain, not only on timed calls. */
const CALLS = 48;
/** A thenable whose then getter throws: it escapes the plain implementations' isolation. */
const brokenThenable = () => ({
  get then(): never {
    throw new Error("then getter");
  },
});

/** Runs `calls` calls of a scenario on one manager and records everything observable. */
async function observe(timing: "sampled" | "every-call", scenario: Scenario) {
  const env: Env = { loggerDown: false };
  const { manager, log: logger } = managerFor(timing, env);
  const log: string[] = [];
  for (const plugin of scenario.plugins(log, (n) => scenario.call(manager, n), env)) manager.register(plugin);
  const results: unknown[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    for (let n = 0; n < CALLS; n++) {
      let result: unknown;
      try {
        result = await scenario.call(manager, n);
      } catch (error) {
        result = `threw: ${(error as Error).message}`;
      }
      env.loggerDown = false;
      results.push(result);
      log.push(`-- call ${n} done`);
    }
    await sleep(5);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  return {
    unhandled,
    results,
    log,
    failures: manager.failures.map((f) => `${f.plugin}/${f.hook}/${f.kind}: ${(f.error as Error).message}`),
    stats: manager.stats().map((p) =>
      `${p.name}: ${p.calls} calls, ${p.errors} errors, ${p.consecutiveFailures} in a row, suspended ${p.suspended}`
    ),
    errors: logger.at("error"),
  };
}

const collect: Scenario["call"] = (m, n) => m.hook.collectLabels(labels(n));

/**
 * A wrapper that keeps its next() and throws while the logger is down, so that the
 * exception escapes its level (and the call, unless `outerCatches`); the kept
 * next() is called between calls, before the next one.
 */
function keptAfterException(outerCatches: boolean): Scenario {
  let kept: Next | undefined;
  let log: string[] = [];
  const outer: Plugin<Specs> = {
    name: "outer",
    hooks: {
      collectLabels: {
        wrapper: (_args, next) => {
          try {
            return next() as string[];
          } catch (error) {
            return [`outer caught ${(error as Error).message}`];
          }
        },
      },
    },
  };
  return {
    plugins: (scenarioLog, _call, env) => {
      kept = undefined;
      log = scenarioLog;
      return [
        { name: "inner", hooks: { collectLabels: ({ taskId }) => (log.push(`inner ${taskId}`), "i") } },
        ...(outerCatches ? [outer] : []),
        {
          name: "keeper",
          hooks: {
            collectLabels: {
              wrapper: ({ taskId }, next) => {
                if (phase(taskId) !== 4) return next() as string[];
                kept = next;
                env.loggerDown = true;
                throw new Error("keeper broke");
              },
            },
          },
        },
      ];
    },
    call: (m, n) => {
      if (kept !== undefined) {
        try {
          log.push(`kept next() gave ${JSON.stringify(kept())}`);
        } catch (error) {
          log.push(`kept next() threw: ${(error as Error).message}`);
        }
        kept = undefined;
      }
      return collect(m, n);
    },
  };
}

const scenarios: Record<string, Scenario> = {
  "passthrough wrappers around synchronous implementations": {
    plugins: (log) => [
      { name: "a", hooks: { collectLabels: ({ taskId }) => (log.push(`a ${taskId}`), `a-${taskId}`) } },
      { name: "b", hooks: { collectLabels: () => "b" } },
      {
        name: "w1",
        hooks: { collectLabels: { wrapper: (_args, next) => (log.push("w1"), next()) as string[] } },
      },
      {
        name: "w2",
        hooks: { collectLabels: { wrapper: (_args, next) => (log.push("w2"), next()) as string[] } },
      },
    ],
    call: collect,
  },
  "wrappers that change, replace or repeat next()": {
    plugins: (log) => [
      { name: "inner", hooks: { collectLabels: () => (log.push("inner"), "i") } },
      {
        name: "adds",
        hooks: { collectLabels: { wrapper: (_args, next) => [...next() as string[], "added"] } },
      },
      {
        name: "twice",
        hooks: {
          collectLabels: { wrapper: (_args, next) => [...next() as string[], ...next() as string[]] },
        },
      },
      {
        name: "replaces",
        hooks: {
          collectLabels: {
            wrapper: ({ taskId }, next) => phase(taskId) === 2 ? ["replaced"] : next() as string[],
          },
        },
      },
    ],
    call: collect,
  },
  "failing wrappers: before next(), after it, a wrong answer, then suspended": {
    plugins: (log) => [
      { name: "inner", hooks: { collectLabels: () => (log.push("inner"), "i") } },
      {
        name: "early",
        hooks: {
          collectLabels: {
            // Fails every other call (never three in a row), then from t30 on until suspended.
            wrapper: ({ taskId }) => {
              const n = Number(taskId.slice(1));
              if (n % 2 === 1 || n >= 30) throw new Error(`early ${taskId}`);
              return ["early"];
            },
          },
        },
      },
      {
        name: "late",
        hooks: {
          collectLabels: {
            wrapper: ({ taskId }, next) => {
              next();
              if (phase(taskId) === 1) throw new Error("late");
              return next() as string[];
            },
          },
        },
      },
      {
        // Wrong in phases 0, 1, 3, 4 and 6: two failures in a row at most, so never suspended (threshold 3).
        name: "wrong",
        hooks: {
          collectLabels: {
            wrapper: ({ taskId }, next) => ([2, 5, 7].includes(phase(taskId)) ? next() : "x") as never,
          },
        },
      },
    ],
    call: collect,
  },
  "a firstResult hook: a wrapper answering, passing through, failing": {
    plugins: (log) => [
      { name: "inner", hooks: { selectModel: () => (log.push("inner"), "haiku") } },
      {
        name: "override",
        hooks: {
          selectModel: {
            wrapper: ({ role }, next) => {
              if (role === "r1") return "opus";
              if (role === "r2") throw new Error("override broke");
              if (role === "r3") return 42 as never;
              return next() as string;
            },
          },
        },
      },
      {
        name: "outer",
        hooks: { selectModel: { wrapper: (_args, next) => (log.push("outer"), next()) as string } },
      },
    ],
    call: (m, n) => m.hook.selectModel({ role: `r${n % 5}` }),
  },
  "asynchronous implementations inside synchronous wrappers": {
    plugins: (log) => [
      { name: "sync", hooks: { collectLabels: () => "s" } },
      { name: "async", hooks: { collectLabels: async ({ taskId }) => (log.push(`async ${taskId}`), "a") } },
      {
        name: "w",
        hooks: { collectLabels: { wrapper: (_args, next) => (log.push("w"), next()) as string[] } },
      },
    ],
    call: collect,
  },
  "wrappers that return a promise and call next() later": {
    plugins: (log) => [
      { name: "inner", hooks: { collectLabels: ({ taskId }) => (log.push(`inner ${taskId}`), "i") } },
      {
        name: "deferred",
        hooks: {
          collectLabels: {
            wrapper: (_args, next) =>
              new Promise<string[]>((resolve) =>
                queueMicrotask(() => resolve([...next() as string[], "later"]))
              ),
          },
        },
      },
      {
        name: "plain",
        hooks: { collectLabels: { wrapper: (_args, next) => (log.push("plain"), next()) as string[] } },
      },
    ],
    call: collect,
  },
  "a wrapper that calls next() at once, returns a promise, and calls it again later": {
    plugins: (log) => [
      { name: "inner", hooks: { collectLabels: ({ taskId }) => (log.push(`inner ${taskId}`), "i") } },
      {
        name: "twice",
        hooks: {
          collectLabels: {
            wrapper: (_args, next) => {
              const first = next() as string[];
              return Promise.resolve().then(() => [...first, ...next() as string[]]);
            },
          },
        },
      },
    ],
    call: collect,
  },
  "an async function wrapper": {
    plugins: (log) => [
      { name: "inner", hooks: { collectLabels: () => (log.push("inner"), "i") } },
      {
        name: "async",
        hooks: {
          collectLabels: {
            async wrapper({ taskId }, next) {
              if (phase(taskId) === 1) throw new Error("async broke");
              return [...(await next()) as string[], "async"];
            },
          },
        },
      },
    ],
    call: collect,
  },
  "a wrapper that calls its own hook (re-entry)": {
    plugins: (log, call) => [
      { name: "inner", hooks: { collectLabels: ({ taskId }) => (log.push(`inner ${taskId}`), taskId) } },
      {
        name: "reenter",
        hooks: {
          collectLabels: {
            wrapper: ({ taskId }, next) => {
              if (taskId.startsWith("t") && !taskId.endsWith("x")) {
                log.push(`nested ${JSON.stringify(call(Number(taskId.slice(1)) + 100))}`);
              }
              return next() as string[];
            },
          },
        },
      },
      {
        name: "outer",
        hooks: { collectLabels: { wrapper: (_args, next) => [...next() as string[], "outer"] } },
      },
    ],
    call: (m, n) => m.hook.collectLabels({ taskId: n >= 100 ? `t${n}x` : `t${n}` }),
  },
  "inner levels that throw, through wrappers that let it through or catch it": {
    plugins: (log) => [
      {
        name: "inner",
        hooks: {
          collectLabels: ({ taskId }) => [2, 5].includes(phase(taskId)) ? brokenThenable() as never : "i",
        },
      },
      { name: "through", hooks: { collectLabels: { wrapper: (_args, next) => next() as string[] } } },
      {
        name: "catcher",
        hooks: {
          collectLabels: {
            wrapper: ({ taskId }, next) => {
              try {
                return next() as string[];
              } catch (error) {
                let again: string;
                try {
                  next();
                  again = "next() ran again";
                } catch (second) {
                  again = `next() threw again: ${(second as Error).message}`;
                }
                log.push(`caught ${(error as Error).message}; ${again}`);
                if (phase(taskId) === 5) return ["recovered"];
                throw new Error("catcher broke");
              }
            },
          },
        },
      },
      { name: "outer", hooks: { collectLabels: { wrapper: (_args, next) => next() as string[] } } },
    ],
    call: collect,
  },
  "a wrapper that catches an inner error and answers later": {
    plugins: () => [
      {
        name: "inner",
        hooks: { collectLabels: ({ taskId }) => phase(taskId) === 6 ? brokenThenable() as never : "i" },
      },
      {
        name: "later",
        hooks: {
          collectLabels: {
            wrapper: (_args, next) => {
              try {
                return next() as string[];
              } catch {
                return Promise.resolve().then(() => {
                  try {
                    return next() as string[];
                  } catch (error) {
                    return [`next() threw again: ${(error as Error).message}`];
                  }
                });
              }
            },
          },
        },
      },
    ],
    call: collect,
  },
  "a firstResult hook whose inner level throws": {
    plugins: () => [
      {
        name: "inner",
        hooks: { selectModel: ({ role }) => role === "r3" ? brokenThenable() as never : "haiku" },
      },
      { name: "w", hooks: { selectModel: { wrapper: (_args, next) => next() as string } } },
    ],
    call: (m, n) => m.hook.selectModel({ role: `r${n % 5}` }),
  },
  "an inner rejection nobody awaits, with a logger that throws": {
    plugins: (_log, _call, env) => [
      {
        name: "inner",
        hooks: {
          collectLabels: ({ taskId }) => {
            if (phase(taskId) !== 3) return "i";
            env.loggerDown = true;
            return Promise.reject(new Error("inner rejected"));
          },
        },
      },
      { name: "ignores", hooks: { collectLabels: { wrapper: (_args, next) => (next(), ["own"]) } } },
    ],
    call: collect,
  },
  "a pending inner wrapper that fails with a logger that throws, ignored by the outer one": {
    plugins: (_log, _call, env) => [
      { name: "inner", hooks: { collectLabels: () => "i" } },
      // Registered first, so outermost: it ignores what next() returns.
      { name: "ignores", hooks: { collectLabels: { wrapper: (_args, next) => (next(), ["own"]) } } },
      {
        name: "pending",
        hooks: {
          collectLabels: {
            wrapper: ({ taskId }, next) => {
              if (phase(taskId) !== 3) return next() as string[];
              env.loggerDown = true;
              return Promise.reject(new Error("pending wrapper rejected"));
            },
          },
        },
      },
    ],
    call: collect,
  },
  "a kept next() of a wrapper whose failure could not be logged, with an outer wrapper catching that":
    keptAfterException(true),
  "a wrapper that answers with a thenable calling next() after an inner error was caught": {
    plugins: () => [
      {
        name: "inner",
        hooks: { collectLabels: ({ taskId }) => phase(taskId) === 6 ? brokenThenable() as never : "i" },
      },
      {
        name: "thenable",
        hooks: {
          collectLabels: {
            wrapper: ({ taskId }, next) => {
              const first = next() as string[];
              if (phase(taskId) !== 6) return first;
              // A thenable that is not a promise: PromiseLike is what the runner accepts.
              return ({
                then: (resolve: (value: string[]) => void) =>
                  resolve([...first, ...next() as string[], "th"]),
              }) as unknown as Promise<string[]>;
            },
          },
        },
      },
      {
        name: "recover",
        hooks: {
          collectLabels: {
            wrapper: (_args, next) => {
              try {
                return next() as string[];
              } catch {
                return ["recovered"];
              }
            },
          },
        },
      },
    ],
    call: collect,
  },
  "an implementation calling the next() of the wrapper that runs it": (() => {
    let outerNext: Next | undefined;
    return {
      plugins: () => [
        {
          name: "inner",
          hooks: {
            collectLabels: ({ taskId }) => {
              if (phase(taskId) === 1) outerNext!();
              return "i";
            },
          },
        },
        {
          name: "outer",
          hooks: { collectLabels: { wrapper: (_args, next) => ((outerNext = next), next()) as string[] } },
        },
      ],
      call: collect,
    } satisfies Scenario;
  })(),
  "a next() kept by a wrapper whose call ended in an exception": keptAfterException(false),
  "a wrapper that reads its context": {
    plugins: (log) => [
      { name: "inner", hooks: { collectLabels: () => "i" } },
      {
        name: "ctx",
        hooks: {
          collectLabels: {
            wrapper: (_args, next, ctx) =>
              (log.push(`${ctx.plugin} ${ctx.hook} ${ctx.signal.aborted}`), next()) as string[],
          },
        },
      },
    ],
    call: collect,
  },
};

describe("compiled wrapper chains", () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    it(`behave as the general path: ${name}`, async () => {
      const general = await observe("every-call", scenario);
      const compiled = await observe("sampled", scenario);
      expect(compiled).toEqual(general);
      expect(compiled.unhandled).toEqual([]);
    });
  }

  it("give every wrapper invocation a next() of its own, timed or not", () => {
    const seen = (timing: "sampled" | "every-call") => {
      const { manager } = managerFor(timing);
      const nexts = new Set<Next>();
      manager.register({ name: "inner", hooks: { collectLabels: () => "i" } });
      manager.register({
        name: "w",
        hooks: { collectLabels: { wrapper: (_a, next) => (nexts.add(next), next()) as string[] } },
      });
      for (let n = 0; n < 100; n++) expect(manager.hook.collectLabels(labels(n))).toEqual(["i"]);
      return nexts.size;
    };
    expect(seen("sampled")).toBe(100);
    expect(seen("every-call")).toBe(100);
  });

  it("never report a wrapper's end to a monitor that did not see its start (one attached during a call)", () => {
    for (const timing of ["sampled", "every-call"] as const) {
      const { manager } = managerFor(timing);
      const events: string[] = [];
      manager.register({
        name: "attacher",
        hooks: {
          collectLabels: {
            wrapper: ({ taskId }, next) => {
              if (taskId !== "t40") return next() as string[];
              const stop = manager.monitor({
                before: (event) => events.push(`before ${event.plugin}`),
                after: (event) => events.push(`after ${event.plugin} ${event.outcome}`),
              });
              try {
                return next() as string[];
              } finally {
                stop();
              }
            },
          },
        },
      });
      manager.register({
        name: "mid",
        hooks: {
          collectLabels: {
            wrapper: ({ taskId }, next) => {
              if (taskId === "t40") throw new Error("mid broke");
              return next() as string[];
            },
          },
        },
      });
      manager.register({ name: "inner", hooks: { collectLabels: () => "i" } });
      for (let n = 0; n <= 40; n++) expect(manager.hook.collectLabels(labels(n))).toEqual(["i"]);
      const started = events.filter((e) => e.startsWith("before")).map((e) => e.split(" ")[1]);
      const ended = events.filter((e) => e.startsWith("after")).map((e) => e.split(" ")[1]);
      expect(ended).toEqual(started);
      expect(events).toContain("after inner ok");
    }
  });

  it("call implementations and wrappers as plain functions: `this` is undefined on every path", async () => {
    for (const timing of ["sampled", "every-call"] as const) {
      const { manager } = managerFor(timing);
      const seen = new Set<unknown>();
      manager.register({
        name: "plain",
        hooks: {
          collectLabels(this: unknown) {
            seen.add(this);
            return "i";
          },
        },
      });
      manager.register({
        name: "later",
        hooks: {
          async collectLabels(this: unknown) {
            seen.add(this);
            return "a";
          },
        },
      });
      manager.register({
        name: "wrapper",
        hooks: {
          collectLabels: {
            wrapper(this: unknown, _args, next) {
              seen.add(this);
              return next() as string[];
            },
          },
        },
      });
      for (let n = 0; n < 20; n++) expect(await manager.hook.collectLabels(labels(n))).toEqual(["i", "a"]);
      expect([...seen]).toEqual([undefined]);
    }
  });

  it("refuse a next() called after a synchronous wrapper returned, on either path", () => {
    for (const timing of ["sampled", "every-call"] as const) {
      const { manager } = managerFor(timing);
      let inner = 0;
      let kept: Next | undefined;
      manager.register({ name: "inner", hooks: { collectLabels: () => (inner++, "i") } });
      manager.register({
        name: "keeper",
        hooks: { collectLabels: { wrapper: (_a, next) => ((kept = next), ["own"]) } },
      });
      for (let n = 0; n < 3; n++) {
        expect(manager.hook.collectLabels(labels(n))).toEqual(["own"]);
        expect(() => kept!()).toThrow(BernsteinError);
        expect(() => kept!()).toThrow("next() was called after the wrapper's call had ended");
      }
      expect(inner).toBe(0);
    }
  });

  it("keep a pending wrapper's later next() calls to its own call after the chain is switched off", async () => {
    const { manager } = managerFor("sampled");
    const inner: string[] = [];
    const nexts = new Set<Next>();
    manager.register({
      name: "inner",
      hooks: { collectLabels: ({ taskId }) => (inner.push(taskId), taskId) },
    });
    manager.register({
      name: "sometimes-later",
      hooks: {
        collectLabels: {
          // Synchronous for "s" calls; a "d" call is answered later, several pending at once.
          wrapper: ({ taskId }, next) => {
            if (taskId.startsWith("s")) return next() as string[];
            nexts.add(next);
            return Promise.resolve().then(() => [...next() as string[], ...next() as string[]]);
          },
        },
      },
    });
    for (let n = 0; n < 20; n++) expect(manager.hook.collectLabels({ taskId: `s${n}` })).toEqual([`s${n}`]);
    const pending = ["d1", "d2", "d3", "d4"].map((taskId) => manager.hook.collectLabels({ taskId }));
    expect(await Promise.all(pending)).toEqual([["d1", "d1"], ["d2", "d2"], ["d3", "d3"], ["d4", "d4"]]);
    expect(inner.slice(20)).toEqual(["d1", "d2", "d3", "d4"]);
    expect(nexts.size).toBe(4);
  });
});
