// Quick subset of the dispatch benchmark for optimisation work (not part of npm run bench):
// BENCH_ONLY=sync,async,wrap npx tsx bench/_quick.ts, or deno run -A bench/_quick.ts.
import process from "node:process";
import tapable from "tapable";
import { median } from "./_measure.ts";
import { args, asyncImpl, ours, resetCounter, syncImpl } from "./dispatch.ts";

const only = (process.env.BENCH_ONLY ?? "sync,async,wrap").split(",");
const row = async (label: string, fn: () => unknown) => {
  resetCounter();
  console.log(label.padEnd(40), (await median(fn)).toFixed(1));
};
if (only.includes("sync")) {
  for (const n of [1, 10, 100]) {
    const m = ours(n, syncImpl, false);
    const t = new tapable.AsyncSeriesHook<[unknown]>(["a"]);
    for (let i = 0; i < n; i++) t.tap(`p${i}`, syncImpl);
    await row(`sync ${n} tapable`, () => t.promise(args));
    await row(`sync ${n} ours`, () => m.hook.onTaskCreated(args));
  }
}
if (only.includes("async")) {
  for (const n of [1, 10, 100]) {
    const fns = Array.from({ length: n }, () => asyncImpl);
    const m = ours(n, asyncImpl, false);
    await row(`async ${n} floor`, async () => {
      for (let i = 0; i < fns.length; i++) await fns[i]();
    });
    await row(`async ${n} ours`, () => m.hook.onTaskCreated(args));
  }
}
if (only.includes("wrap")) {
  const a = ours(10, syncImpl, false);
  const b = ours(10, syncImpl, false, 10);
  await row(`wrap none`, () => a.hook.onTaskCreated(args));
  await row(`wrap 10`, () => b.hook.onTaskCreated(args));
}
