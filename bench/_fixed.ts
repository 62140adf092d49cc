import { PluginManager } from "../mod.ts";
import { silentLogger } from "../src/logger.ts";
import { deepFreeze } from "../src/_freeze.ts";
import { median } from "./_measure.ts";
const args = deepFreeze({ task: { id: "T-1" } });
let counter = 0;
const fresh = () => {
  const m = new PluginManager({ logger: silentLogger, validate: false });
  m.register({ name: "p", hooks: { onTaskCreated: () => void counter++ } });
  return m;
};
const row = async (l: string, f: () => unknown) => console.log(l.padEnd(30), (await median(f)).toFixed(1));
for (let i = 0; i < 4; i++) {
  const m = fresh();
  await row(`fresh manager ${i}`, () => m.hook.onTaskCreated(args as never));
  await row(`same again ${i}`, () => m.hook.onTaskCreated(args as never));
}
if (counter < 0) console.log(counter);
