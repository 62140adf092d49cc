// Child process for the remote loading benchmark: loads the config in `dir` and
// prints the milliseconds createManager took and how many plugins loaded.
import process from "node:process";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { createManager } from "../../src/setup.ts";
import { silentLogger } from "../../src/logger.ts";

const [dir] = process.argv.slice(2);
const started = performance.now();
const { report } = await createManager(await loadConfig(join(dir, "bernstein.config.json")), {
  logger: silentLogger,
});
const ms = performance.now() - started;
console.log(
  JSON.stringify({ ms, loaded: report.loaded.length, errors: report.errors.map((e) => e.message) }),
);
