/**
 * Bernstein plugins: typed hook specs, a plugin manager and an isolated hook
 * runner for the Bernstein orchestrator, on Deno and Node.
 *
 * @example
 * ```ts
 * import { definePlugin, PluginManager } from "./mod.ts";
 * const manager = new PluginManager();
 * manager.register(definePlugin({
 *   name: "greeter",
 *   hooks: { onAgentSpawned: ({ agentId, role }) => console.log(`hello ${agentId} (${role})`) },
 * }));
 * await manager.hook.onAgentSpawned({ agentId: "a1", role: "backend", adapter: "claude" });
 * ```
 *
 * The names here are what a host or a plugin author uses; the rest of the
 * library's modules stay importable by path (`./src/...`) for tests and tools.
 *
 * @module
 */
// Errors: every one a host or a plugin author can receive.
export {
  BernsteinError,
  ConfigError,
  HookArgumentsError,
  HookSpecError,
  HookTimeoutError,
  LoadFailedError,
  PluginLoadError,
  PluginValidationError,
  type Problem,
  UnknownHookError,
} from "./src/errors.ts";
// Bernstein's own hooks and their data.
export {
  type BernsteinHookSpecs,
  bernsteinHookSpecs,
  type Task,
  type TaskResult,
  TaskResultSchema,
  TaskSchema,
} from "./src/hookspecs.ts";
// Writing plugins and hook specs.
export {
  definePlugin,
  type HookContext,
  type HookImplOptions,
  type HookImpls,
  type Plugin,
  type PluginFactory,
  type SetupContext,
} from "./src/plugin.ts";
export { defineHookSpec, type HookArgs, type HookSpec, type HookSpecs } from "./src/spec.ts";
// Hosting them: the manager, its monitors and statistics, and logging.
export {
  type PluginInfo,
  PluginManager,
  type PluginManagerOptions,
  type PluginStatsSnapshot,
} from "./src/manager.ts";
export type { AfterEvent, BeforeEvent, Monitor } from "./src/monitor.ts";
export type { FailureRecord } from "./src/outcome.ts";
export { createLogger, type Logger, silentLogger } from "./src/logger.ts";
// Configuring and loading them.
export {
  type BernsteinConfig,
  defineConfig,
  loadConfig,
  type LoadedConfig,
  type PluginEntry,
} from "./src/config.ts";
export { type LoadedPlugin, loadPlugins, type LoadReport } from "./src/loader/load.ts";
export { createManager } from "./src/setup.ts";
export { runtime, type RuntimeInfo } from "./src/runtime/mod.ts";
/**
 * valibot, the schema library hook specs and plugin options are written in: the
 * library's own copy, so that a plugin needs no valibot of its own (an install of
 * this package by link, as `npm install ../bernstein-plugins` makes, brings none).
 */
export * as v from "valibot";
