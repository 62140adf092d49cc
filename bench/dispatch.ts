// deno-lint-ignore-file require-await -- async functions here are the benchmarked implementations
// Hook dispatch: ours (isolation, timeouts and statistics on, as shipped) against the
// floors (a plain for loop, an await loop) and the peers (tapable, hookable), for
// 1, 10 and 100 trivial implementations, sync and async, validation off and on.
// Prints a JSON line of results when run with --json; npm run bench collects them.
import process from "node:process";
import { createHooks } from "hookable";
import tapable from "tapable";
import { PluginManager } from "../mod.ts";
import { silentLogger } from "../src/logger.ts";
import { deepFreeze } from "../src/_freeze.ts";
import { timing } from "./_measure.ts";

const { AsyncSeriesHook, SyncHook } = tapable;

/** One measured case. */
export interface DispatchResult {
  scenario: string;
  subject: string;
  ns: number;
  /** The mean, which also counts costs paid once in many calls. */
  meanNs: number;
}

const task = {
  id: "T-1",
  title: "Benchmark",
  description: "A task-sized argument.",
  role: "backend",
  priority: 2 as const,
  status: "open" as const,
  dependsOn: ["T-0"],
  createdAt: 1_764_000_000_000,
  metadata: { labels: ["perf"] },
};
/** A task-sized argument, frozen up front as a host that reuses its event objects would have it. */
export const args: { task: typeof task } = deepFreeze({ task });

let counter = 0;
/** The synchronous implementation every subject calls: a counter increment. */
export const syncImpl = (): void => {
  counter++;
};
/** The asynchronous implementation every subject calls. */
export const asyncImpl = async (): Promise<void> => {
  counter++;
};

/**
 * Starts the counter at 0 again. Past 2^30 it would stop being a small integer,
 * and every increment would allocate (and deoptimise whatever inlined it).
 */
export function resetCounter(): void {
  counter = 0;
}

/** A manager with `n` plugins implementing onTaskCreated with `impl`, and `wrappers` wrappers around them. */
export function ours(
  n: number,
  impl: () => unknown,
  validate: boolean,
  wrappers = 0,
  firstResult = false,
): PluginManager {
  const manager = new PluginManager({ logger: silentLogger, validate });
  if (firstResult) {
    // A host hook whose last implementation answers, so the whole list runs.
    for (let i = 0; i < n; i++) {
      manager.register({
        name: `p${i}`,
        hooks: { onTaskCreated: i === n - 1 ? () => "answer" as never : impl },
      });
    }
    return manager;
  }
  for (let i = 0; i < n; i++) manager.register({ name: `p${i}`, hooks: { onTaskCreated: impl } });
  for (let i = 0; i < wrappers; i++) {
    manager.register({
      name: `w${i}`,
      hooks: { onTaskCreated: { wrapper: (_args, next) => next() } },
    });
  }
  return manager;
}

/**
 * A design floor: the least per-implementation work isolation needs (an off flag,
 * a call count, try/catch around the call, a thenable test, a try/catch around the
 * await), with no deadlines, statistics or results. What it costs over the bare
 * await loop is the price of isolation alone.
 */
async function isolatedAwaitLoop(records: { fn: () => unknown; off: boolean; calls: number }[]) {
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (record.off) continue;
    record.calls++;
    let result: unknown;
    try {
      result = record.fn();
    } catch {
      continue;
    }
    if (result instanceof Promise) {
      try {
        await result;
      } catch {
        continue;
      }
    }
  }
}

/**
 * What one fresh next() per level costs, and nothing else: the shape of the wrapper
 * engine (src/wrappers.ts), which gives each wrapper invocation a next() of its own.
 */
function minimalChain(wrappers: ((args: unknown, next: () => unknown) => unknown)[], args: unknown): unknown {
  const level = (depth: number): unknown => {
    if (depth === wrappers.length) {
      for (let i = 0; i < 10; i++) syncImpl();
      return [];
    }
    let called = false;
    let inner: unknown;
    return wrappers[depth](args, () => called ? inner : (called = true, inner = level(depth + 1)));
  };
  return level(0);
}

/** Runs every dispatch case and returns the medians. */
export async function dispatch(): Promise<DispatchResult[]> {
  const results: DispatchResult[] = [];
  const add = async (scenario: string, subject: string, fn: () => unknown) => {
    resetCounter();
    const { median, mean } = await timing(fn);
    results.push({ scenario, subject, ns: median, meanNs: mean });
    process.stderr.write(".");
  };
  for (const n of [1, 10, 100]) {
    const syncFns = Array.from({ length: n }, () => syncImpl);
    const asyncFns = Array.from({ length: n }, () => asyncImpl);
    // sync
    {
      const scenario = `sync, N=${n}`;
      await add(scenario, "for loop (floor)", () => {
        for (let i = 0; i < syncFns.length; i++) syncFns[i]();
      });
      for (const validate of [false, true]) {
        const m = ours(n, syncImpl, validate);
        await add(scenario, `ours, validation ${validate ? "on" : "off"}`, () => m.hook.onTaskCreated(args));
      }
      const syncHook = new SyncHook<[unknown]>(["args"]);
      for (let i = 0; i < n; i++) syncHook.tap(`p${i}`, syncImpl);
      await add(scenario, "tapable SyncHook", () => syncHook.call(args));
      const seriesTap = new AsyncSeriesHook<[unknown]>(["args"]);
      for (let i = 0; i < n; i++) seriesTap.tap(`p${i}`, syncImpl);
      await add(scenario, "tapable AsyncSeriesHook.tap", () => seriesTap.promise(args));
      const hooks = createHooks<{ onTaskCreated: (a: unknown) => void }>();
      for (let i = 0; i < n; i++) hooks.hook("onTaskCreated", syncImpl);
      await add(scenario, "hookable callHook", () => hooks.callHook("onTaskCreated", args));
    }
    // async
    {
      const scenario = `async, N=${n}`;
      await add(scenario, "await loop (floor)", async () => {
        for (let i = 0; i < asyncFns.length; i++) await asyncFns[i]();
      });
      for (const validate of [false, true]) {
        const m = ours(n, asyncImpl, validate);
        await add(scenario, `ours, validation ${validate ? "on" : "off"}`, () => m.hook.onTaskCreated(args));
      }
      const records = asyncFns.map((fn) => ({ fn, off: false, calls: 0 }));
      await add(
        scenario,
        "isolation alone (design floor, see dispatch.ts)",
        () => isolatedAwaitLoop(records),
      );
      const seriesTap = new AsyncSeriesHook<[unknown]>(["args"]);
      for (let i = 0; i < n; i++) seriesTap.tapPromise(`p${i}`, asyncImpl);
      await add(scenario, "tapable AsyncSeriesHook.tapPromise", () => seriesTap.promise(args));
      const hooks = createHooks<{ onTaskCreated: (a: unknown) => Promise<void> }>();
      for (let i = 0; i < n; i++) hooks.hook("onTaskCreated", asyncImpl);
      await add(scenario, "hookable callHook", () => hooks.callHook("onTaskCreated", args));
    }
  }
  {
    const scenario = "firstResult, N=10 (answer from the last)";
    const m = ours(10, syncImpl, false, 0, true);
    await add(scenario, "ours, validation off", () => m.hook.onTaskCreated(args));
  }
  {
    const scenario = "10 sync implementations inside 10 wrappers";
    const plain = ours(10, syncImpl, false);
    await add(scenario, "ours, no wrappers", () => plain.hook.onTaskCreated(args));
    const one = ours(10, syncImpl, false, 1);
    await add(scenario, "ours, 1 wrapper", () => one.hook.onTaskCreated(args));
    const wrapped = ours(10, syncImpl, false, 10);
    await add(scenario, "ours, 10 wrappers", () => wrapped.hook.onTaskCreated(args));
    const identity = (_a: unknown, next: () => unknown) => next();
    const chain = Array.from({ length: 10 }, () => identity);
    await add(
      scenario,
      "a fresh next() per level alone (the wrapper engine's shape, see dispatch.ts)",
      () => minimalChain(chain, args),
    );
  }
  process.stderr.write("\n");
  if (counter < 0) console.log(counter); // keeps the counter observable
  return results;
}

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(await dispatch()));
}
