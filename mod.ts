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
 * @module
 */
export {
  BernsteinError,
  ConfigError,
  formatProblems,
  HookArgumentsError,
  HookSpecError,
  HookTimeoutError,
  LoadFailedError,
  PluginLoadError,
  PluginValidationError,
  type Problem,
  UnknownHookError,
} from "./src/errors.ts";
export {
  adrHookNames,
  type BernsteinHookSpecs,
  bernsteinHookSpecs,
  type Task,
  type TaskPriority,
  TaskPrioritySchema,
  type TaskResult,
  TaskResultSchema,
  TaskSchema,
  type TaskStatus,
  TaskStatusSchema,
} from "./src/hookspecs.ts";
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  scopedLogger,
  silentLogger,
} from "./src/logger.ts";
export {
  type HookCallers,
  type HookSpecEntry,
  type PluginInfo,
  PluginManager,
  type PluginManagerOptions,
  type PluginStatsSnapshot,
} from "./src/manager.ts";
export { checkPluginShape } from "./src/plugin-shape.ts";
export {
  definePlugin,
  type HookContext,
  type HookFunction,
  type HookImpl,
  type HookImplOptions,
  type HookImpls,
  type InstantiateOptions,
  instantiatePlugin,
  isPluginFactory,
  type MaybePromise,
  type OptionsSchema,
  type Plugin,
  type PluginFactory,
  type PluginFactoryInit,
  type PluginInstance,
  type SetupContext,
  type WrapperFunction,
} from "./src/plugin.ts";
export type { AfterEvent, BeforeEvent, Monitor } from "./src/monitor.ts";
export type { FailureRecord } from "./src/outcome.ts";
export type { PluginStats } from "./src/stats.ts";
export {
  type ArgsSchema,
  type DeepReadonly,
  defineHookSpec,
  type HookArgs,
  type HookCallArgs,
  type HookCallResult,
  type HookResult,
  type HookSpec,
  type HookSpecInit,
  type HookSpecs,
  type ResultSchema,
} from "./src/spec.ts";
export {
  type BernsteinConfig,
  CONFIG_NAMES,
  defineConfig,
  findConfig,
  loadConfig,
  type LoadedConfig,
  type NormalisedEntry,
  type PluginEntry,
  type PluginEntryObject,
  validateConfig,
} from "./src/config.ts";
export { type LoadedPlugin, type LoadOptions, loadPlugins, type LoadReport } from "./src/loader/load.ts";
export { createManager } from "./src/setup.ts";
export { ACCEPTED_FORMS, type ParsedSpecifier, parseSpecifier } from "./src/loader/specifier.ts";
export { type DiscoveredPlugin, discoverPlugins } from "./src/loader/discover.ts";
export { runtime, type RuntimeInfo } from "./src/runtime/mod.ts";
/**
 * valibot, the schema library hook specs and plugin options are written in: the
 * library's own copy, so that a plugin needs no valibot of its own (an install of
 * this package by link, as `npm install ../bernstein-plugins` makes, brings none).
 */
export * as v from "valibot";
