/**
 * What every command shares: loading the config into a manager with output going
 * where the CLI wants it, and the usage error.
 *
 * @module
 */
import { host } from "../runtime/host.ts";
import { entryLocation, loadConfig, type LoadedConfig } from "../config.ts";
import type { LoadReport } from "../loader/load.ts";
import { createManager } from "../setup.ts";
import { createLogger, type Logger } from "../logger.ts";
import type { PluginManager } from "../manager.ts";
import type { Output } from "./output.ts";
export { UsageError } from "./usage.ts";

/** The logger the CLI gives the manager: standard error, as human output. */
export function cliLogger(out: Output): Logger {
  return createLogger({
    prefix: "bernstein",
    sink: (level, line) => {
      const label = level === "error"
        ? out.paint("red", line)
        : level === "warn"
        ? out.paint("yellow", line)
        : line;
      host.write("stderr", `${label}\n`);
    },
  });
}

/** Loads the config and its plugins into a manager. */
export async function openManager(
  out: Output,
  options: { config?: string; strict?: boolean; frozen?: boolean; logErrors?: boolean },
): Promise<{ config: LoadedConfig; manager: PluginManager; report: LoadReport }> {
  const config = await loadConfig(options.config);
  out.progress(`loading ${config.entries.length} plugin(s) from ${config.file}`);
  try {
    const { manager, report } = await createManager(config, {
      logger: cliLogger(out),
      strict: options.strict,
      frozen: options.frozen,
      print: (line) => out.line(line),
      logErrors: options.logErrors,
      onProgress: (done, total, specifier) => out.progress(`loaded ${done}/${total}: ${specifier}`),
    });
    return { config, manager, report };
  } finally {
    out.progressDone();
  }
}

/** The config's entries with `enabled: false`: not loaded, but listed so that none goes unmentioned. */
export function disabledEntries(
  config: LoadedConfig,
): { name: string | null; specifier: string; entry: string }[] {
  return config.entries.filter((entry) => !entry.enabled).map((entry) => {
    const name = entry.name ?? (typeof entry.use === "string" ? undefined : entry.use.name);
    return {
      name: name ?? null,
      specifier: typeof entry.use === "string" ? entry.use : `inline:${name}`,
      entry: entryLocation(config, entry),
    };
  });
}
