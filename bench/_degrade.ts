import tapable from "tapable";
import { PluginManager } from "../mod.ts";
import { silentLogger } from "../src/logger.ts";
import { deepFreeze } from "../src/_freeze.ts";
import { median } from "./_measure.ts";
const args = deepFreeze({ task: { id: "T-1" } });
let counter = 0;
const impl = () => void counter++;
const m = new PluginManager({ logger: silentLogger, validate: false });
for (let i = 0; i < 100; i++) m.register({ name: `p${i}`, hooks: { onTaskCreated: impl } });
const t = new tapable.SyncHook<[unknown]>(["a"]);
for (let i = 0; i < 100; i++) t.tap(`p${i}`, impl);
const fns = Array.from({ length: 100 }, () => impl);
const subjects: [string, () => unknown][] = [
  ["ours", () => m.hook.onTaskCreated(args as never)],
  ["tapable SyncHook", () => t.call(args)],
  ["for loop", () => { for (let i = 0; i < fns.length; i++) fns[i](); }],
];
for (const [name, fn] of subjects) {
  const out: string[] = [];
  for (let batch = 0; batch < 6; batch++) {
    const s = performance.now();
    for (let i = 0; i < 20_000; i++) fn();
    out.push(((performance.now() - s) / 20_000 * 1e6).toFixed(0));
  }
  console.log(name.padEnd(20), "loop:", out.join(" "), " mitata:", (await median(fn)).toFixed(0));
}
if (counter < 0) console.log(counter);
