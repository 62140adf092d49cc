// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
// The wrapper engine (src/wrappers.ts): how wrappers nest, answer, fail and time out.
// The scenarios run CALLS calls each and compare everything observable (results,
// side effects call by call, failures, counts, logged errors, unhandled rejections)
// with values written out below. Each runs with the default sampled timing, where
// most calls take the untimed call lists, and with `timing: "every-call"`, where
// every call takes the timed ones: both must observe the same. Implementations here
// are cheap (a pending one waits a microtask, not a timer), so that sampling really
// leaves calls untimed.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BernsteinError } from "../src/errors.ts";
import type { Plugin } from "../src/plugin.ts";
import process from "node:process";
import { callManager, makeTask, recordingLogger, resultSpecs, sleep, testManager } from "./_helpers.ts";

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
/** One call in every phase. */
const CALLS = 8;
/**
 * What an inner implementation throws to make an exception escape the plain
 * implementations: its failure is counted and recorded, then its message cannot be
 * read for the log (String() of it throws), and that error leaves the call loop.
 */
const unloggable = (): never => {
  throw {
    message: "unloggable",
    toString(): never {
      throw new Error("unloggable");
    },
  };
};

/** Everything a scenario's calls can be seen to do. */
interface Observation {
  /** Each call's result, or "threw: message". */
  results: unknown[];
  /** The side effects the plugins wrote, call by call (a kept next() runs at the start of the next call). */
  log: string[][];
  /** The manager's failure records, as "plugin/hook/kind: message". */
  failures: string[];
  /** Per plugin: calls, errors, the breaker's count and whether it is suspended. */
  stats: string[];
  /** What the manager logged as errors. */
  errors: string[];
  unhandled: unknown[];
}

/** Runs CALLS calls of a scenario on one manager and records everything observable. */
async function observe(timing: "sampled" | "every-call", scenario: Scenario): Promise<Observation> {
  const env: Env = { loggerDown: false };
  const { manager, log: logger } = managerFor(timing, env);
  const log: string[] = [];
  for (const plugin of scenario.plugins(log, (n) => scenario.call(manager, n), env)) manager.register(plugin);
  const results: unknown[] = [];
  const perCall: string[][] = [];
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
      perCall.push(log.splice(0));
    }
    await sleep(5);
    perCall[CALLS - 1].push(...log.splice(0));
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  return {
    results,
    log: perCall,
    failures: manager.failures.map((f) => `${f.plugin}/${f.hook}/${f.kind}: ${(f.error as Error).message}`),
    stats: manager.stats().map((p) =>
      `${p.name}: ${p.calls} calls, ${p.errors} errors, ${p.consecutiveFailures} in a row, suspended ${p.suspended}`
    ),
    errors: logger.at("error"),
    unhandled,
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

const scenarios: Record<string, Scenario & { expected: Observation }> = {
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
    expected: {
      results: [
        ["a-t0", "b"],
        ["a-t1", "b"],
        ["a-t2", "b"],
        ["a-t3", "b"],
        ["a-t4", "b"],
        ["a-t5", "b"],
        ["a-t6", "b"],
        ["a-t7", "b"],
      ],
      log: [
        ["w1", "w2", "a t0"],
        ["w1", "w2", "a t1"],
        ["w1", "w2", "a t2"],
        ["w1", "w2", "a t3"],
        ["w1", "w2", "a t4"],
        ["w1", "w2", "a t5"],
        ["w1", "w2", "a t6"],
        ["w1", "w2", "a t7"],
      ],
      failures: [],
      stats: [
        "a: 8 calls, 0 errors, 0 in a row, suspended false",
        "b: 8 calls, 0 errors, 0 in a row, suspended false",
        "w1: 8 calls, 0 errors, 0 in a row, suspended false",
        "w2: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
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
    expected: {
      results: [
        ["i", "i", "added"],
        ["i", "i", "added"],
        ["replaced", "replaced", "added"],
        ["i", "i", "added"],
        ["i", "i", "added"],
        ["i", "i", "added"],
        ["i", "i", "added"],
        ["i", "i", "added"],
      ],
      log: [
        ["inner"],
        ["inner"],
        [],
        ["inner"],
        ["inner"],
        ["inner"],
        ["inner"],
        ["inner"],
      ],
      failures: [],
      stats: [
        "inner: 7 calls, 0 errors, 0 in a row, suspended false",
        "adds: 8 calls, 0 errors, 0 in a row, suspended false",
        "twice: 8 calls, 0 errors, 0 in a row, suspended false",
        "replaces: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
  },
  "failing wrappers: before next(), after it, a wrong answer, then suspended": {
    plugins: (log) => [
      { name: "inner", hooks: { collectLabels: () => (log.push("inner"), "i") } },
      {
        name: "early",
        hooks: {
          collectLabels: {
            // Fails every other call (never three in a row), then from t4 on until suspended.
            wrapper: ({ taskId }) => {
              const n = Number(taskId.slice(1));
              if (n % 2 === 1 || n >= 4) throw new Error(`early ${taskId}`);
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
        // Wrong but in phases 3 and 6: two failures in a row at most, so never suspended (threshold 3).
        name: "wrong",
        hooks: {
          collectLabels: {
            wrapper: ({ taskId }, next) => ([3, 6].includes(phase(taskId)) ? next() : "x") as never,
          },
        },
      },
    ],
    call: collect,
    // A failed wrapper is counted as failed and the inner levels' answer stands; early is suspended
    // after t3-t5 failed in a row, so t6 and t7 skip it; wrong never fails three times in a row.
    expected: {
      results: [
        ["early"],
        ["i"],
        ["early"],
        ["i"],
        ["i"],
        ["i"],
        ["i"],
        ["i"],
      ],
      log: [
        [],
        ["inner"],
        [],
        ["inner"],
        ["inner"],
        ["inner"],
        ["inner"],
        ["inner"],
      ],
      failures: [
        "early/collectLabels/error: early t1",
        'wrong/collectLabels/error: Wrapper of plugin "wrong" for hook "collectLabels" returned a string; return the value of next() or a replacement list',
        "late/collectLabels/error: late",
        "early/collectLabels/error: early t3",
        "early/collectLabels/error: early t4",
        'wrong/collectLabels/error: Wrapper of plugin "wrong" for hook "collectLabels" returned a string; return the value of next() or a replacement list',
        "early/collectLabels/error: early t5",
        'wrong/collectLabels/error: Wrapper of plugin "wrong" for hook "collectLabels" returned a string; return the value of next() or a replacement list',
        'wrong/collectLabels/error: Wrapper of plugin "wrong" for hook "collectLabels" returned a string; return the value of next() or a replacement list',
      ],
      stats: [
        "inner: 6 calls, 0 errors, 0 in a row, suspended false",
        "early: 6 calls, 4 errors, 3 in a row, suspended true",
        "late: 6 calls, 1 errors, 0 in a row, suspended false",
        "wrong: 6 calls, 4 errors, 1 in a row, suspended false",
      ],
      errors: [
        'Plugin "early" failed in hook "collectLabels": early t1',
        'Plugin "wrong" failed in hook "collectLabels": Wrapper of plugin "wrong" for hook "collectLabels" returned a string; return the value of next() or a replacement list',
        'Plugin "late" failed in hook "collectLabels": late',
        'Plugin "early" failed in hook "collectLabels": early t3',
        'Plugin "early" failed in hook "collectLabels": early t4',
        'Plugin "wrong" failed in hook "collectLabels": Wrapper of plugin "wrong" for hook "collectLabels" returned a string; return the value of next() or a replacement list',
        'Plugin "early" failed in hook "collectLabels": early t5',
        'Plugin "early" suspended after 3 consecutive failures; fix it and call resume("early") to enable it again',
        'Plugin "wrong" failed in hook "collectLabels": Wrapper of plugin "wrong" for hook "collectLabels" returned a string; return the value of next() or a replacement list',
        'Plugin "wrong" failed in hook "collectLabels": Wrapper of plugin "wrong" for hook "collectLabels" returned a string; return the value of next() or a replacement list',
      ],
      unhandled: [],
    },
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
    expected: {
      results: [
        "haiku",
        "opus",
        "haiku",
        "haiku",
        "haiku",
        "haiku",
        "opus",
        "haiku",
      ],
      log: [
        ["outer", "inner"],
        [],
        ["outer", "inner"],
        ["outer", "inner"],
        ["outer", "inner"],
        ["outer", "inner"],
        [],
        ["outer", "inner"],
      ],
      failures: [
        "override/selectModel/error: override broke",
        'override/selectModel/error: Plugin "override" returned an invalid result from hook "selectModel": Invalid type: Expected string but received 42',
        "override/selectModel/error: override broke",
      ],
      stats: [
        "inner: 6 calls, 0 errors, 0 in a row, suspended false",
        "override: 8 calls, 3 errors, 1 in a row, suspended false",
        "outer: 6 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [
        'Plugin "override" failed in hook "selectModel": override broke',
        'Plugin "override" failed in hook "selectModel": Plugin "override" returned an invalid result from hook "selectModel": Invalid type: Expected string but received 42',
        'Plugin "override" failed in hook "selectModel": override broke',
      ],
      unhandled: [],
    },
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
    expected: {
      results: [
        ["s", "a"],
        ["s", "a"],
        ["s", "a"],
        ["s", "a"],
        ["s", "a"],
        ["s", "a"],
        ["s", "a"],
        ["s", "a"],
      ],
      log: [
        ["w", "async t0"],
        ["w", "async t1"],
        ["w", "async t2"],
        ["w", "async t3"],
        ["w", "async t4"],
        ["w", "async t5"],
        ["w", "async t6"],
        ["w", "async t7"],
      ],
      failures: [],
      stats: [
        "sync: 8 calls, 0 errors, 0 in a row, suspended false",
        "async: 8 calls, 0 errors, 0 in a row, suspended false",
        "w: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
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
    expected: {
      results: [
        ["i", "later"],
        ["i", "later"],
        ["i", "later"],
        ["i", "later"],
        ["i", "later"],
        ["i", "later"],
        ["i", "later"],
        ["i", "later"],
      ],
      log: [
        ["plain", "inner t0"],
        ["plain", "inner t1"],
        ["plain", "inner t2"],
        ["plain", "inner t3"],
        ["plain", "inner t4"],
        ["plain", "inner t5"],
        ["plain", "inner t6"],
        ["plain", "inner t7"],
      ],
      failures: [],
      stats: [
        "inner: 8 calls, 0 errors, 0 in a row, suspended false",
        "deferred: 8 calls, 0 errors, 0 in a row, suspended false",
        "plain: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
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
    expected: {
      results: [
        ["i", "i"],
        ["i", "i"],
        ["i", "i"],
        ["i", "i"],
        ["i", "i"],
        ["i", "i"],
        ["i", "i"],
        ["i", "i"],
      ],
      log: [
        ["inner t0"],
        ["inner t1"],
        ["inner t2"],
        ["inner t3"],
        ["inner t4"],
        ["inner t5"],
        ["inner t6"],
        ["inner t7"],
      ],
      failures: [],
      stats: [
        "inner: 8 calls, 0 errors, 0 in a row, suspended false",
        "twice: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
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
    expected: {
      results: [
        ["i", "async"],
        ["i"],
        ["i", "async"],
        ["i", "async"],
        ["i", "async"],
        ["i", "async"],
        ["i", "async"],
        ["i", "async"],
      ],
      log: [
        ["inner"],
        ["inner"],
        ["inner"],
        ["inner"],
        ["inner"],
        ["inner"],
        ["inner"],
        ["inner"],
      ],
      failures: [
        "async/collectLabels/error: async broke",
      ],
      stats: [
        "inner: 8 calls, 0 errors, 0 in a row, suspended false",
        "async: 8 calls, 1 errors, 0 in a row, suspended false",
      ],
      errors: [
        'Plugin "async" failed in hook "collectLabels": async broke',
      ],
      unhandled: [],
    },
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
    expected: {
      results: [
        ["t0", "outer"],
        ["t1", "outer"],
        ["t2", "outer"],
        ["t3", "outer"],
        ["t4", "outer"],
        ["t5", "outer"],
        ["t6", "outer"],
        ["t7", "outer"],
      ],
      log: [
        ["inner t100x", 'nested ["t100x","outer"]', "inner t0"],
        ["inner t101x", 'nested ["t101x","outer"]', "inner t1"],
        ["inner t102x", 'nested ["t102x","outer"]', "inner t2"],
        ["inner t103x", 'nested ["t103x","outer"]', "inner t3"],
        ["inner t104x", 'nested ["t104x","outer"]', "inner t4"],
        ["inner t105x", 'nested ["t105x","outer"]', "inner t5"],
        ["inner t106x", 'nested ["t106x","outer"]', "inner t6"],
        ["inner t107x", 'nested ["t107x","outer"]', "inner t7"],
      ],
      failures: [],
      stats: [
        "inner: 16 calls, 0 errors, 0 in a row, suspended false",
        "reenter: 16 calls, 0 errors, 0 in a row, suspended false",
        "outer: 16 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
  },
  "inner levels that throw, through wrappers that let it through or catch it": {
    plugins: (log) => [
      {
        name: "inner",
        hooks: {
          collectLabels: ({ taskId }) => [2, 5].includes(phase(taskId)) ? unloggable() : "i",
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
    // An unloggable failure escapes the plain implementations (counted, recorded, not logged): at t2
    // catcher fails in turn and the inner error ends the call; at t5 catcher recovers. Letting an
    // inner error through is no failure.
    expected: {
      results: [["i"], ["i"], "threw: unloggable", ["i"], ["i"], ["recovered"], ["i"], ["i"]],
      log: [
        [],
        [],
        ["caught unloggable; next() threw again: unloggable"],
        [],
        [],
        ["caught unloggable; next() threw again: unloggable"],
        [],
        [],
      ],
      failures: [
        "inner/collectLabels/error: unloggable",
        "catcher/collectLabels/error: catcher broke",
        "inner/collectLabels/error: unloggable",
      ],
      stats: [
        "inner: 8 calls, 2 errors, 0 in a row, suspended false",
        "through: 8 calls, 0 errors, 0 in a row, suspended false",
        "catcher: 8 calls, 1 errors, 0 in a row, suspended false",
        "outer: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: ['Plugin "catcher" failed in hook "collectLabels": catcher broke'],
      unhandled: [],
    },
  },
  "a wrapper that catches an inner error and answers later": {
    plugins: () => [
      {
        name: "inner",
        hooks: { collectLabels: ({ taskId }) => phase(taskId) === 6 ? unloggable() : "i" },
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
    expected: {
      results: [["i"], ["i"], ["i"], ["i"], ["i"], ["i"], ["next() threw again: unloggable"], ["i"]],
      log: [[], [], [], [], [], [], [], []],
      failures: ["inner/collectLabels/error: unloggable"],
      stats: [
        "inner: 8 calls, 1 errors, 0 in a row, suspended false",
        "later: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
  },
  "a firstResult hook whose inner level throws": {
    plugins: () => [
      {
        name: "inner",
        hooks: { selectModel: ({ role }) => role === "r3" ? unloggable() : "haiku" },
      },
      { name: "w", hooks: { selectModel: { wrapper: (_args, next) => next() as string } } },
    ],
    call: (m, n) => m.hook.selectModel({ role: `r${n % 5}` }),
    expected: {
      results: ["haiku", "haiku", "haiku", "threw: unloggable", "haiku", "haiku", "haiku", "haiku"],
      log: [[], [], [], [], [], [], [], []],
      failures: ["inner/selectModel/error: unloggable"],
      stats: [
        "inner: 8 calls, 1 errors, 0 in a row, suspended false",
        "w: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
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
    expected: {
      results: [
        ["own"],
        ["own"],
        ["own"],
        ["own"],
        ["own"],
        ["own"],
        ["own"],
        ["own"],
      ],
      log: [
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
      ],
      failures: [
        "inner/collectLabels/error: inner rejected",
      ],
      stats: [
        "inner: 8 calls, 1 errors, 0 in a row, suspended false",
        "ignores: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
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
    expected: {
      results: [
        ["own"],
        ["own"],
        ["own"],
        ["own"],
        ["own"],
        ["own"],
        ["own"],
        ["own"],
      ],
      log: [
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
      ],
      failures: [
        "pending/collectLabels/error: pending wrapper rejected",
      ],
      stats: [
        "inner: 7 calls, 0 errors, 0 in a row, suspended false",
        "ignores: 8 calls, 0 errors, 0 in a row, suspended false",
        "pending: 8 calls, 1 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
  },
  "a kept next() of a wrapper whose failure could not be logged, with an outer wrapper catching that": {
    ...keptAfterException(true),
    expected: {
      results: [
        ["i"],
        ["i"],
        ["i"],
        ["i"],
        ["outer caught logger down"],
        ["i"],
        ["i"],
        ["i"],
      ],
      log: [
        ["inner t0"],
        ["inner t1"],
        ["inner t2"],
        ["inner t3"],
        [],
        [
          "kept next() threw: next() was called after the wrapper's call had ended; it does nothing now",
          "inner t5",
        ],
        ["inner t6"],
        ["inner t7"],
      ],
      failures: [
        "keeper/collectLabels/error: keeper broke",
      ],
      stats: [
        "inner: 7 calls, 0 errors, 0 in a row, suspended false",
        "outer: 8 calls, 0 errors, 0 in a row, suspended false",
        "keeper: 8 calls, 1 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
  },
  "a wrapper that answers with a thenable calling next() after an inner error was caught": {
    plugins: () => [
      {
        name: "inner",
        hooks: { collectLabels: ({ taskId }) => phase(taskId) === 6 ? unloggable() : "i" },
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
    expected: {
      results: [["i"], ["i"], ["i"], ["i"], ["i"], ["i"], ["recovered", "recovered", "th"], ["i"]],
      log: [[], [], [], [], [], [], [], []],
      failures: ["inner/collectLabels/error: unloggable"],
      stats: [
        "inner: 8 calls, 1 errors, 0 in a row, suspended false",
        "thenable: 8 calls, 0 errors, 0 in a row, suspended false",
        "recover: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
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
      expected: {
        results: [
          ["i"],
          [],
          ["i"],
          ["i"],
          ["i"],
          ["i"],
          ["i"],
          ["i"],
        ],
        log: [
          [],
          [],
          [],
          [],
          [],
          [],
          [],
          [],
        ],
        failures: [
          "inner/collectLabels/error: next() was called from inside the implementations it runs; it cannot run them again",
        ],
        stats: [
          "inner: 8 calls, 1 errors, 0 in a row, suspended false",
          "outer: 8 calls, 0 errors, 0 in a row, suspended false",
        ],
        errors: [
          'Plugin "inner" failed in hook "collectLabels": next() was called from inside the implementations it runs; it cannot run them again',
        ],
        unhandled: [],
      },
    } satisfies Scenario & { expected: Observation };
  })(),
  "a next() kept by a wrapper whose call ended in an exception": {
    ...keptAfterException(false),
    expected: {
      results: [
        ["i"],
        ["i"],
        ["i"],
        ["i"],
        "threw: logger down",
        ["i"],
        ["i"],
        ["i"],
      ],
      log: [
        ["inner t0"],
        ["inner t1"],
        ["inner t2"],
        ["inner t3"],
        [],
        [
          "kept next() threw: next() was called after the wrapper's call had ended; it does nothing now",
          "inner t5",
        ],
        ["inner t6"],
        ["inner t7"],
      ],
      failures: [
        "keeper/collectLabels/error: keeper broke",
      ],
      stats: [
        "inner: 7 calls, 0 errors, 0 in a row, suspended false",
        "keeper: 8 calls, 1 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
  },
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
    expected: {
      results: [
        ["i"],
        ["i"],
        ["i"],
        ["i"],
        ["i"],
        ["i"],
        ["i"],
        ["i"],
      ],
      log: [
        ["ctx collectLabels false"],
        ["ctx collectLabels false"],
        ["ctx collectLabels false"],
        ["ctx collectLabels false"],
        ["ctx collectLabels false"],
        ["ctx collectLabels false"],
        ["ctx collectLabels false"],
        ["ctx collectLabels false"],
      ],
      failures: [],
      stats: [
        "inner: 8 calls, 0 errors, 0 in a row, suspended false",
        "ctx: 8 calls, 0 errors, 0 in a row, suspended false",
      ],
      errors: [],
      unhandled: [],
    },
  },
};

describe("wrapper scenarios, sampled and timed every call", () => {
  for (const [name, { expected, ...scenario }] of Object.entries(scenarios)) {
    it(name, async () => {
      expect(await observe("sampled", scenario)).toEqual(expected);
      expect(await observe("every-call", scenario)).toEqual(expected);
    });
  }

  it("gives every wrapper invocation a next() of its own, timed or not", () => {
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

  it("never reports a wrapper's end to a monitor that did not see its start (one attached during a call)", () => {
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

  it("calls implementations and wrappers as plain functions: `this` is undefined, timed or not", async () => {
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

  it("refuses a next() called after a synchronous wrapper returned, timed or not", () => {
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

  it("keeps a pending wrapper's later next() calls to its own call, with several pending at once", async () => {
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

// ---- one wrapper at a time, through the manager

const task = makeTask();
const args = { task };

function resultManager() {
  return testManager().manager.addHookSpecs(resultSpecs, "test host");
}

describe("wrapper order and answers", () => {
  it("nests wrappers outermost-first around the plain implementations (golden sequence)", async () => {
    const { manager } = testManager();
    const seen: string[] = [];
    const wrap = (label: string) => ({
      async wrapper(_args: unknown, next: () => unknown) {
        seen.push(`${label}:before`);
        const result = await next();
        seen.push(`${label}:after`);
        return result as never;
      },
    });
    const plain = (label: string) => () => void seen.push(label);
    manager.register({ name: "w-plain", hooks: { onTaskCreated: wrap("w-plain") } });
    manager.register({
      name: "impl-last",
      hooks: { onTaskCreated: { handler: plain("impl-last"), tryLast: true } },
    });
    manager.register({ name: "w-last", hooks: { onTaskCreated: { ...wrap("w-last"), tryLast: true } } });
    manager.register({ name: "impl", hooks: { onTaskCreated: plain("impl") } });
    manager.register({ name: "w-first", hooks: { onTaskCreated: { ...wrap("w-first"), tryFirst: true } } });
    manager.register({
      name: "impl-first",
      hooks: { onTaskCreated: { handler: plain("impl-first"), tryFirst: true } },
    });
    await manager.hook.onTaskCreated({ task });
    expect(seen).toEqual([
      "w-first:before",
      "w-plain:before",
      "w-last:before",
      "impl-first",
      "impl",
      "impl-last",
      "w-last:after",
      "w-plain:after",
      "w-first:after",
    ]);
  });

  it("lets a wrapper replace the result of next()", async () => {
    const m = resultManager();
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
    const m = resultManager();
    let innerCalled = false;
    m.register({ name: "inner", hooks: { selectModel: () => ((innerCalled = true), "haiku") } });
    m.register({ name: "override", hooks: { selectModel: { wrapper: () => "opus" } } });
    expect(m.hook.selectModel({ role: "backend" })).toBe("opus");
    expect(innerCalled).toBe(false);
  });

  it("runs the inner implementations once however often a wrapper calls next()", async () => {
    const m = resultManager();
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

  it("stays synchronous through synchronous wrappers", () => {
    const { manager } = testManager();
    manager.register({ name: "a", hooks: { onTaskCreated: () => "inner" as never } });
    manager.register({
      name: "w",
      hooks: { onTaskCreated: { wrapper: (_args, next) => [...(next() as unknown[]), "wrapped"] } },
    });
    expect(manager.hook.onTaskCreated({ task })).toEqual(["inner", "wrapped"]);
  });
});

describe("failing wrappers", () => {
  it("counts a wrapper whose answer has a throwing then getter as failed, and the inner result stands", () => {
    const { manager, log } = testManager();
    manager.register({ name: "inner", hooks: { onTaskCreated: () => "r" as never } });
    manager.register({
      name: "poisoned",
      hooks: {
        onTaskCreated: {
          wrapper: (_args, next) => {
            next();
            return {
              get then(): never {
                throw new Error("then getter");
              },
            } as never;
          },
        },
      },
    });
    expect(manager.hook.onTaskCreated({ task: makeTask() })).toEqual(["r"]);
    expect(manager.failures.map((f) => `${f.plugin}: ${(f.error as Error).message}`)).toEqual([
      "poisoned: then getter",
    ]);
    expect(log.at("error")).toEqual(['Plugin "poisoned" failed in hook "onTaskCreated": then getter']);
  });

  it("bypasses a wrapper that throws before next(), running the inner implementations once", async () => {
    const { manager } = testManager();
    let inner = 0;
    manager.register({ name: "inner", hooks: { onTaskCreated: () => (inner++, "r" as never) } });
    manager.register({
      name: "bad-wrapper",
      hooks: {
        onTaskCreated: {
          wrapper() {
            throw new Error("wrapper broke early");
          },
        },
      },
    });
    expect(await manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect(inner).toBe(1);
    expect(manager.failures.map((f) => f.plugin)).toEqual(["bad-wrapper"]);
  });

  it("bypasses a wrapper that fails after next() without running the inner implementations again", async () => {
    const { manager } = testManager();
    let inner = 0;
    manager.register({ name: "inner", hooks: { onTaskCreated: async () => (inner++, "r" as never) } });
    manager.register({
      name: "bad-wrapper",
      hooks: {
        onTaskCreated: {
          async wrapper(_args, next) {
            await next();
            throw new Error("wrapper broke late");
          },
        },
      },
    });
    expect(await manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect(inner).toBe(1);
    expect(manager.failures.map((f) => (f.error as Error).message)).toEqual(["wrapper broke late"]);
  });

  it("treats a wrapper that returns something other than a list as failed and uses the inner result", () => {
    const { manager } = testManager();
    manager.register({ name: "inner", hooks: { onTaskCreated: () => "r" as never } });
    manager.register({
      name: "forgetful",
      hooks: { onTaskCreated: { wrapper: (_a, next) => void next() as never } },
    });
    expect(manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect((manager.failures[0].error as Error).message).toBe(
      'Wrapper of plugin "forgetful" for hook "onTaskCreated" returned undefined; return the value of next() or a replacement list',
    );
  });

  it("does not let an inner failure reach the wrappers in isolation mode", async () => {
    const { manager } = testManager();
    let sawError = false;
    manager.register({ name: "inner", hooks: { onTaskCreated: () => Promise.reject(new Error("inner")) } });
    manager.register({
      name: "w",
      hooks: {
        onTaskCreated: {
          async wrapper(_a, next) {
            try {
              return await next();
            } catch (error) {
              sawError = true;
              throw error;
            }
          },
        },
      },
    });
    expect(await manager.hook.onTaskCreated(args)).toEqual([]);
    expect(sawError).toBe(false);
    expect(manager.failures.map((f) => f.plugin)).toEqual(["inner"]);
  });
});

describe("wrapper deadlines", () => {
  it("times out a wrapper and falls back to the inner result", async () => {
    const { manager } = testManager({ timeoutMs: 20 });
    let inner = 0;
    manager.register({ name: "inner", hooks: { onTaskCreated: () => (inner++, "r" as never) } });
    manager.register({
      name: "slow-wrapper",
      hooks: {
        onTaskCreated: {
          async wrapper(_a, next) {
            const result = await next();
            await sleep(100);
            return result;
          },
        },
      },
    });
    expect(await manager.hook.onTaskCreated(args)).toEqual(["r"]);
    expect(inner).toBe(1);
    expect(manager.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual(["slow-wrapper:timeout"]);
  });

  it("do not count the time the inner implementations take", async () => {
    const m = callManager({ timeoutMs: 50 });
    for (const name of ["a", "b", "c"]) {
      m.register({ name, hooks: { collect: async () => (await sleep(30), name) } });
    }
    m.register({ name: "w", hooks: { collect: { wrapper: (_a, next) => next() } } });
    expect(await m.hook.collect({ n: 1 })).toEqual(["a", "b", "c"]);
    expect(m.failures).toEqual([]);
  });

  it("blame the hanging inner plugin, not the wrapper that waits for it", async () => {
    const m = callManager({ timeoutMs: 30, circuitBreaker: 2 });
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
    const m = callManager({ timeoutMs: 20 });
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

describe("wrappers in strict mode", () => {
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => void process.off("unhandledRejection", onUnhandled));

  it("leaves no unhandled rejection when a wrapper throws after starting an async inner call", async () => {
    const m = callManager({ onError: "throw" });
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
    const m = callManager({ onError: "throw", timeoutMs: 20 });
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
    const m = callManager({ onError: "throw" });
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

  it("lets a wrapper see and change the error an inner implementation raises", async () => {
    const { manager } = testManager({ onError: "throw" });
    manager.register({
      name: "inner",
      hooks: { onTaskCreated: () => Promise.reject(new Error("inner failed")) },
    });
    manager.register({
      name: "translator",
      hooks: {
        onTaskCreated: {
          async wrapper(_a, next) {
            try {
              return await next();
            } catch (error) {
              throw new Error(`translated: ${(error as Error).message}`);
            }
          },
        },
      },
    });
    await expect(manager.hook.onTaskCreated(args)).rejects.toThrow("translated: inner failed");
  });

  it("does not count an inner error a wrapper lets through as the wrapper's failure", async () => {
    const { manager } = testManager({ onError: "throw" });
    manager.register({
      name: "inner",
      hooks: {
        onTaskCreated() {
          throw new Error("inner only");
        },
      },
    });
    manager.register({
      name: "passthrough",
      hooks: { onTaskCreated: { wrapper: (_a, next) => next() } },
    });
    expect(() => manager.hook.onTaskCreated(args)).toThrow("inner only");
    expect(manager.failures.map((f) => f.plugin)).toEqual(["inner"]);
  });
});
