import { PluginManager } from "../mod.ts";
import { silentLogger } from "../src/logger.ts";
import { deepFreeze } from "../src/_freeze.ts";
const args = deepFreeze({ task: { id: "T-1" } });
let counter = 0;
const m = new PluginManager({ logger: silentLogger, validate: false });
for (let i = 0; i < 10; i++) m.register({ name: `p${i}`, hooks: { onTaskCreated: () => void counter++ } });
for (let i = 0; i < 10; i++) {
  m.register({ name: `w${i}`, hooks: { onTaskCreated: { wrapper: (_a, next) => next() } } });
}
const t0 = performance.now();
for (let i = 0; i < 3_000_000; i++) m.hook.onTaskCreated(args as never);
console.log(((performance.now() - t0) / 3e6 * 1e6).toFixed(1), "ns/call", counter > 0);
