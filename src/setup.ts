/**
 * The composition root: a config and the plugins the loader returns, made into a
 * manager. Data flows one way, config -> loader -> setup -> manager: the loader
 * knows nothing of the manager.
 *
 * @module
 */
import { entryLocation, type LoadedConfig } from "./config.ts";
import { formatProblems, LoadFailedError, PluginLoadError, PluginValidationError } from "./errors.ts";
import { type LoadedPlugin, type LoadOptions, loadPlugins, type LoadReport } from "./loader/load.ts";
import { createLogger } from "./logger.ts";
import { PluginManager } from "./manager.ts";

/**
 * Builds a manager from a config: hook defaults from `hooks`, then the plugins,
 * registered in config order. A plugin that fails to load or register is reported
 * and the rest still load; in strict mode the whole load fails with every error.
 *
 * @param config A config from `loadConfig`.
 * @param options Logger and strictness.
 * @returns The manager and the load report (including registration failures).
 * @throws {LoadFailedError} In strict mode, when any plugin failed; plugins already set up are shut down first.
 * @example
 * ```ts
 * import { mkdtemp, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { createManager, loadConfig } from "../mod.ts";
 * const dir = await mkdtemp(join(tmpdir(), "bernstein-example-"));
 * await writeFile(join(dir, "hello.mjs"), `export default { name: "hello", hooks: { onAgentDied: () => "bye" } };`);
 * await writeFile(join(dir, "bernstein.config.json"), JSON.stringify({ plugins: ["./hello.mjs"] }));
 * const { manager, report } = await createManager(await loadConfig(undefined, dir));
 * const results = await manager.hook.onAgentDied({ agentId: "a1", reason: "exit" });
 * if (report.errors.length !== 0 || results.join() !== "bye") throw new Error("not loaded");
 * await manager.shutdown();
 * ```
 */
export async function createManager(
  config: LoadedConfig,
  options: LoadOptions = {},
): Promise<{ manager: PluginManager; report: LoadReport }> {
  const logger = options.logger ?? createLogger({ prefix: "bernstein" });
  const hooks = config.config.hooks ?? {};
  const manager = new PluginManager({
    logger,
    timeoutMs: hooks.timeoutMs,
    circuitBreaker: hooks.circuitBreaker,
    validate: hooks.validate,
    onError: hooks.onError,
  });
  const report = await loadPlugins(config, {
    logger,
    frozen: options.frozen,
    print: options.print,
    onProgress: options.onProgress,
  });
  const final = register(manager, config, report);
  if ((options.strict ?? config.config.strict) && final.errors.length > 0) {
    await manager.shutdown().catch(() => undefined);
    throw new LoadFailedError(final.errors);
  }
  if (options.logErrors !== false) { for (const error of final.errors) logger.error(error.message); }
  await manager.idle();
  return { manager, report: final };
}

/** Registers the loaded plugins in order; the report then lists load and registration failures in config order. */
function register(manager: PluginManager, config: LoadedConfig, report: LoadReport): LoadReport {
  const registered: LoadedPlugin[] = [];
  for (const loaded of report.loaded) {
    try {
      manager.register(loaded.plugin);
      registered.push(loaded);
    } catch (error) {
      const reason = error instanceof PluginValidationError ? formatProblems(error.problems) : String(error);
      report.errors.push(
        new PluginLoadError(loaded.specifier, entryLocation(config, loaded.entry), reason, { cause: error }),
      );
    }
  }
  // Registration failures come after load failures; report them all in config order.
  const position = (error: PluginLoadError) => Number(/plugins\[(\d+)\]/.exec(error.entry)?.[1] ?? Infinity);
  const errors = [...report.errors].sort((a, b) => position(a) - position(b));
  return { loaded: registered, errors };
}
