/**
 * `npm start` / `deno task start`: loads the plugins that bernstein.config.ts lists
 * and drives a scripted orchestration run that fires every hook, then prints what
 * happened.
 *
 * @module
 */
import process from "node:process";
import { createLogger, createManager, loadConfig } from "../../mod.ts";
import { demoScenario } from "../demo/scenario.ts";
import { runtime } from "../runtime/mod.ts";

/** Runs the demo and returns the exit code. */
async function main(): Promise<number> {
  const { name, version } = runtime();
  const config = await loadConfig(process.argv[2]);
  console.log(`Bernstein plugins demo on ${name} ${version}, config ${config.file}\n`);
  const { manager, report } = await createManager(config, { logger: createLogger({ prefix: "bernstein" }) });
  let events = 0;
  for (const event of demoScenario()) {
    await manager.call(event.hook, event.args as never);
    events++;
  }
  const stats = manager.stats();
  await manager.shutdown();
  console.log(`\n${events} events delivered to ${stats.length} plugins`);
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
  return report.errors.length > 0 ? 1 : 0;
}

process.exitCode = await main();
