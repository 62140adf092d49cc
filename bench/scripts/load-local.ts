// Child process for the loading benchmark: imports N generated local plugins,
// either with bare import() or through the config loader, and prints the
// milliseconds that took (measured inside the process, so runtime start-up is excluded).
import process from "node:process";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { createManager } from "../../src/setup.ts";
import { silentLogger } from "../../src/logger.ts";

const [mode, dir, count] = process.argv.slice(2);
const started = performance.now();
if (mode === "bare") {
  await Promise.all(
    Array.from({ length: Number(count) }, (_, i) => import(pathToFileURL(join(dir, `plugin-${i}.ts`)).href)),
  );
} else {
  const { report } = await createManager(await loadConfig(join(dir, "bernstein.config.json")), {
    logger: silentLogger,
  });
  if (report.errors.length > 0) throw new Error(report.errors[0].message);
}
console.log(JSON.stringify({ ms: performance.now() - started }));
