/**
 * `npm start` / `deno task start`: registers the bundled plugins and drives a
 * scripted orchestration run that fires every hook, then prints what happened.
 * A deliberately broken plugin shows isolation, timeouts and the statistics.
 *
 * @module
 */
import { readFile, rm } from "node:fs/promises";
import process from "node:process";
import { createLogger, definePlugin, PluginManager } from "../../mod.ts";
import auditLog from "../../plugins/audit-log.ts";
import consoleReporter from "../../plugins/console-reporter.ts";
import { demoScenario } from "../demo/scenario.ts";
import { runtime } from "../runtime/mod.ts";

const AUDIT_PATH = ".bernstein/demo-audit.jsonl";

/** A plugin that misbehaves on purpose: it throws on one hook and hangs on another. */
const unreliable = definePlugin({
  name: "unreliable-demo",
  hooks: {
    onTaskFailed() {
      throw new Error("this plugin throws on purpose; the run goes on");
    },
    onCostThreshold: {
      timeoutMs: 100,
      handler: (_args, ctx) =>
        new Promise<void>((resolve) => {
          // Hangs until its deadline aborts the signal.
          ctx.signal.addEventListener("abort", () => resolve(), { once: true });
        }),
    },
  },
});

/** Runs the demo and returns the exit code. */
async function main(): Promise<number> {
  const { name, version } = runtime();
  console.log(`Bernstein plugins demo on ${name} ${version}\n`);
  await rm(AUDIT_PATH, { force: true });
  const manager = new PluginManager({ logger: createLogger({ prefix: "bernstein" }) });
  await manager.use(consoleReporter);
  await manager.use(auditLog, { path: AUDIT_PATH });
  manager.register(unreliable);
  let events = 0;
  for (const event of demoScenario()) {
    await manager.call(event.hook, event.args as never);
    events++;
  }
  const stats = manager.stats();
  await manager.shutdown();
  const lines = (await readFile(AUDIT_PATH, "utf8")).trimEnd().split("\n").length;
  console.log(
    `\n${events} events delivered to ${stats.length} plugins; audit log ${AUDIT_PATH} has ${lines} lines`,
  );
  console.log("\nplugin              calls  errors  timeouts  max ms");
  for (const s of stats) {
    console.log(
      `${s.name.padEnd(18)} ${String(s.calls).padStart(6)} ${String(s.errors).padStart(7)} ${
        String(s.timeouts).padStart(9)
      } ${s.maxMs.toFixed(1).padStart(7)}`,
    );
  }
  const failures = manager.failures.map((f) => `${f.plugin}.${f.hook}: ${f.kind}`);
  console.log(`\nisolated failures: ${failures.join(", ") || "none"}`);
  return 0;
}

process.exitCode = await main();
