// Quick subset of the dispatch benchmark for optimisation work (not part of npm run bench):
// BENCH_ONLY=sync,async,wrap npx tsx bench/_quick.ts, or deno run -A bench/_quick.ts.
import process from "node:process";
import tapable from "tapable";
import { PluginManager } from "../mod.ts";
import { silentLogger } from "../src/logger.ts";
import { median } from "./_measure.ts";

const args = Object.freeze({ task: Object.freeze({ id: "T-1" }) });
let counter = 0;
const syncImpl = () => {
  counter++;
};
// deno-lint-ignore require-await
const asyncImpl = async () => {
  counter++;
};
function ours(n: number, impl: () => unknown, wrappers = 0): PluginManager {
  const m = new PluginManager({ logger: silentLogger, validate: false });
  for (let i = 0; i < n; i++) m.register({ name: `p${i}`, hooks: { onTaskCreated: impl } });
  for (let i = 0; i < wrappers; i++) {
    m.register({
      name: `w${i}`,
      hooks: { onTaskCreated: { wrapper: (_args, next) => next() } },
    });
  }
  return m;
}
const only = (process.env.BENCH_ONLY ?? "sync,async,wrap").split(",");
const row = async (label: string, fn: () => unknown) =>
  console.log(label.padEnd(40), (await median(fn)).toFixed(1));
if (only.includes("sync")) {
  for (const n of [1, 10, 100]) {
    const m = ours(n, syncImpl);
    const t = new tapable.AsyncSeriesHook<[unknown]>(["a"]);
    for (let i = 0; i < n; i++) t.tap(`p${i}`, syncImpl);
    await row(`sync ${n} tapable`, () => t.promise(args));
    await row(`sync ${n} ours`, () => m.hook.onTaskCreated(args as never));
  }
}
if (only.includes("async")) {
  for (const n of [1, 10, 100]) {
    const fns = Array.from({ length: n }, () => asyncImpl);
    const m = ours(n, asyncImpl);
    await row(`async ${n} floor`, async () => {
      for (let i = 0; i < fns.length; i++) await fns[i]();
    });
    await row(`async ${n} ours`, () => m.hook.onTaskCreated(args as never));
  }
}
if (only.includes("wrap")) {
  const a = ours(10, syncImpl);
  const b = ours(10, syncImpl, 10);
  await row(`wrap none`, () => a.hook.onTaskCreated(args as never));
  await row(`wrap 10`, () => b.hook.onTaskCreated(args as never));
}
if (counter < 0) console.log(counter);
