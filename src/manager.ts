/**
 * The plugin manager: holds the hook specs and the registered plugins, checks
 * plugins against the specs, and hands ordered implementation lists to the runner.
 *
 * @module
 */
import { BernsteinError, PluginValidationError, UnknownHookError } from "./errors.ts";
import { type BernsteinHookSpecs, bernsteinHookSpecs } from "./hookspecs.ts";
import { createPluginState, type ImplRecord, type PluginState } from "./hooks.ts";
import type { Logger } from "./logger.ts";
import { scopedLogger } from "./logger.ts";
import { managerSettings, type PluginManagerOptions } from "./manager-options.ts";
import type { Monitor } from "./monitor.ts";
import type { FailureRecord } from "./outcome.ts";
import {
  instantiatePlugin,
  isPluginFactory,
  type MaybePromise,
  type Plugin,
  type PluginFactory,
} from "./plugin.ts";
import { checkPlugin, type HookSpecEntry } from "./registration.ts";
import { HookRegistry } from "./registry.ts";
import { HookRunner } from "./runner.ts";
import type { HookCallArgs, HookCallResult, HookSpecs } from "./spec.ts";
import { callsOf, type PluginStats, totalMsOf } from "./stats.ts";
import { closest } from "./_suggest.ts";
import { messageOf } from "./_text.ts";

export type { PluginManagerOptions } from "./manager-options.ts";
export type { HookSpecEntry } from "./registration.ts";

/** What {@linkcode PluginManager.list} tells about a plugin. */
export interface PluginInfo {
  /** Plugin name. */
  readonly name: string;
  /** Plugin version, if it declares one. */
  readonly version: string | undefined;
  /** The hooks it implements, including optional ones whose spec is missing. */
  readonly hooks: readonly string[];
  /** Whether the circuit breaker has suspended it. */
  readonly suspended: boolean;
}

/** A plugin's statistics, as {@linkcode PluginManager.stats} reports them. */
export interface PluginStatsSnapshot extends PluginStats {
  /** Plugin name. */
  readonly name: string;
  /** Whether the circuit breaker has suspended it. */
  readonly suspended: boolean;
  /** Failures and timeouts since its last success. */
  readonly consecutiveFailures: number;
}

/** Typed functions that call each hook: `manager.hook.onTaskCreated({ task })`. */
export type HookCallers<S extends HookSpecs> = {
  readonly [K in keyof S]: (args: HookCallArgs<S[K]>) => MaybePromise<HookCallResult<S[K]>>;
};

// deno-lint-ignore no-explicit-any
type AnyPlugin = Plugin<any>;
// deno-lint-ignore no-explicit-any
type AnyPluginFactory = PluginFactory<any, any>;

/**
 * Registers plugins and calls their hooks.
 *
 * @example
 * ```ts
 * import { PluginManager } from "./manager.ts";
 * const manager = new PluginManager();
 * manager.register({ name: "hello", hooks: { onAgentDied: ({ agentId }) => console.log(agentId) } });
 * await manager.hook.onAgentDied({ agentId: "a1", reason: "exit 0" });
 * ```
 */
export class PluginManager<S extends HookSpecs = BernsteinHookSpecs> {
  /** One typed function per hook; each returns a plain value when every implementation ran synchronously. */
  readonly hook: HookCallers<S> = Object.create(null);
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #runner: HookRunner;
  readonly #registry: HookRegistry;
  readonly #plugins = new Map<string, PluginState>();
  readonly #blocked = new Set<string>();
  readonly #pendingWork = new Set<Promise<void>>();
  readonly #replayErrors: unknown[] = [];
  #seq = 0;

  /**
   * Creates a manager with Bernstein's hook specs (or the ones given) and no plugins.
   *
   * @param options Contract, logger, deadlines, error mode, validation and breaker.
   * @throws {HookSpecError} When an option is out of range or the specs are malformed.
   */
  constructor(options: PluginManagerOptions<S> = {}) {
    const settings = managerSettings(options);
    this.#logger = settings.runner.logger;
    this.#timeoutMs = settings.timeoutMs;
    const runner = this.#runner = new HookRunner(settings.runner);
    const hook = this.hook as Record<string, unknown>;
    this.#registry = new HookRegistry({
      timeoutMs: settings.timeoutMs,
      everyCall: settings.everyCall,
      validate: settings.runner.validate,
      logger: this.#logger,
      onHook: (caller) => hook[caller.name] = (args: unknown) => runner.call(caller, args),
    });
    this.#registry.addSpecs(options.specs ?? bernsteinHookSpecs, options.specsSource ?? "bernstein");
  }

  /**
   * Adds hook specs, as pluggy's `add_hookspecs` does. Optional implementations
   * already registered for these names join the new hooks.
   *
   * @param specs Specs keyed by hook name.
   * @param source Who adds them, named in errors.
   * @returns This manager, typed with the added hooks.
   * @throws {HookSpecError} When a name is already specified (naming both sources)
   * or a spec is malformed; nothing is added then.
   */
  addHookSpecs<N extends HookSpecs>(specs: N, source: string): PluginManager<S & N> {
    this.#registry.addSpecs(specs, source);
    return this as unknown as PluginManager<S & N>;
  }

  /**
   * Lists the hook specs in the order they were added.
   *
   * @returns Each hook's name, spec and source.
   */
  hookSpecs(): HookSpecEntry[] {
    return [...this.#registry.specs.values()];
  }

  /**
   * Registers a plugin. Its implementations join the hooks' call lists after those
   * of earlier plugins in the same category; calls of historic hooks made before
   * are replayed to it (see {@linkcode idle}).
   *
   * @param plugin A plugin object.
   * @throws {PluginValidationError} Listing every problem: bad shape, duplicate or
   * blocked name, unknown hook (with a suggestion), a wrapper on a historic hook,
   * clashing specs. The manager is unchanged then.
   */
  register(plugin: Plugin<S>): void {
    const registry = this.#registry;
    const check = checkPlugin(plugin, {
      specs: registry.specs,
      registered: this.#plugins,
      blocked: this.#blocked,
      pending: registry.pending,
    });
    if (check.problems.length > 0) throw new PluginValidationError(check.name, check.problems);
    for (const entry of check.ownSpecs.values()) registry.commit(entry);
    const state = createPluginState(plugin, this.#logger);
    this.#plugins.set(check.name, state);
    const replays = registry.attach(state, { impls: check.accepted, seq: this.#seq++ });
    for (const record of replays) this.#replay(record);
  }

  /**
   * Instantiates a factory with validated options if need be, registers the
   * plugin and waits until historic calls have been replayed to it.
   *
   * @param plugin A plugin or a factory from `definePlugin`.
   * @param options Options for a factory.
   * @param name Registers the plugin under another name (to use one factory twice).
   * @returns The registered plugin.
   * @throws {PluginValidationError} For invalid options or a plugin that fails registration.
   */
  async use(
    plugin: Plugin<S> | AnyPluginFactory,
    options?: unknown,
    name?: string,
  ): Promise<Plugin<S>> {
    let instance: Plugin<S>;
    if (isPluginFactory(plugin)) {
      const pluginName = name ?? plugin.name;
      instance = await instantiatePlugin(plugin, options, {
        name: pluginName,
        logger: scopedLogger(this.#logger, pluginName),
      });
    } else {
      instance = name === undefined ? plugin : { ...plugin, name };
    }
    this.register(instance);
    await this.idle();
    return instance;
  }

  /**
   * Removes a plugin. Its `shutdown` is not called (see {@linkcode shutdown}); its
   * contexts' shared signal is aborted.
   *
   * @param name Plugin name.
   * @returns The plugin, or `undefined` when none has that name.
   */
  unregister(name: string): AnyPlugin | undefined {
    const state = this.#plugins.get(name);
    if (state === undefined) return undefined;
    this.#plugins.delete(name);
    state.removed = true;
    state.off = true;
    this.#registry.detach(state);
    state.lifetime.abort(new BernsteinError(`Plugin "${name}" was unregistered`));
    return state.plugin;
  }

  /**
   * Blocks a name, as pluggy's `set_blocked` does: unregisters the plugin of that
   * name, if any, and refuses to register one until {@linkcode unblock}.
   *
   * @param name Plugin name.
   */
  block(name: string): void {
    this.#blocked.add(name);
    this.unregister(name);
  }

  /**
   * Allows a blocked name again.
   *
   * @param name Plugin name.
   * @returns Whether it was blocked.
   */
  unblock(name: string): boolean {
    return this.#blocked.delete(name);
  }

  /**
   * Tells whether a name is blocked.
   *
   * @param name Plugin name.
   * @returns Whether the name is blocked.
   */
  isBlocked(name: string): boolean {
    return this.#blocked.has(name);
  }

  /**
   * Finds a registered plugin.
   *
   * @param name Plugin name.
   * @returns The registered plugin, or `undefined`.
   */
  getPlugin(name: string): AnyPlugin | undefined {
    return this.#plugins.get(name)?.plugin;
  }

  /**
   * Lists the registered plugins in registration order.
   *
   * @returns Name, version, implemented hooks and suspension of each.
   */
  list(): PluginInfo[] {
    return [...this.#plugins.values()].map((state) => ({
      name: state.name,
      version: state.plugin.version,
      hooks: Object.keys(state.plugin.hooks),
      suspended: state.suspended,
    }));
  }

  /**
   * Calls a hook by name; the same as `manager.hook[name](args)`.
   *
   * @param hook Hook name.
   * @param args The arguments object.
   * @returns The list of results, or for a `firstResult` hook the first result or
   * `undefined`; a promise once any implementation returned one.
   * @throws {UnknownHookError} When no spec has that name.
   * @throws {HookArgumentsError} When validation is on and `args` do not match.
   */
  call<K extends keyof S & string>(hook: K, args: HookCallArgs<S[K]>): MaybePromise<HookCallResult<S[K]>> {
    const callers = this.#registry.callers;
    const caller = callers.get(hook);
    if (caller === undefined) {
      throw new UnknownHookError(hook, closest(hook, callers.keys()), [...callers.keys()]);
    }
    return this.#runner.call(caller, args) as MaybePromise<HookCallResult<S[K]>>;
  }

  /**
   * Observes every invocation of every implementation.
   *
   * @param monitor `before` and/or `after` callbacks; their errors are logged and ignored.
   * @returns A function that removes the monitor.
   */
  monitor(monitor: Monitor): () => void {
    return this.#runner.monitors.add(monitor);
  }

  /**
   * Per-plugin statistics, in registration order.
   *
   * @returns A snapshot for each registered plugin.
   */
  stats(): PluginStatsSnapshot[] {
    return [...this.#plugins.values()].map((state) => ({
      name: state.name,
      ...state.stats,
      calls: callsOf(state.records),
      // Durations are sampled: each hook's weighted samples scaled to its calls.
      totalMs: totalMsOf(state.records),
      suspended: state.suspended,
      consecutiveFailures: state.consecutiveFailures,
    }));
  }

  /**
   * Recorded failures (errors and timeouts), oldest first, at most
   * `maxRecordedFailures`.
   */
  get failures(): readonly FailureRecord[] {
    return this.#runner.out.failures;
  }

  /**
   * Re-enables a plugin the circuit breaker suspended.
   *
   * @param name Plugin name.
   * @throws {BernsteinError} When no plugin has that name.
   */
  resume(name: string): void {
    const state = this.#plugins.get(name);
    if (state === undefined) throw new BernsteinError(`Cannot resume plugin "${name}": it is not registered`);
    state.suspended = false;
    state.off = state.removed;
    state.consecutiveFailures = 0;
    this.#logger.info(`Plugin "${name}" resumed`);
  }

  /**
   * Waits for background work: replays of historic calls to late plugins.
   *
   * @returns When nothing is pending.
   * @throws In `"throw"` mode, the first error a replay raised.
   */
  async idle(): Promise<void> {
    while (this.#pendingWork.size > 0) await Promise.all(this.#pendingWork);
    if (this.#replayErrors.length > 0) throw this.#replayErrors.splice(0)[0];
  }

  /**
   * Calls each plugin's `shutdown`, newest first, each isolated and bounded by the
   * manager's deadline, then unregisters every plugin. Failures are recorded under
   * the hook name `"shutdown"`; in `"throw"` mode the first is thrown at the end.
   */
  async shutdown(): Promise<void> {
    await this.idle();
    let first: unknown;
    for (const state of [...this.#plugins.values()].reverse()) {
      const close = state.plugin.shutdown;
      if (close !== undefined) {
        try {
          await this.#runner.deadlines.race(
            Promise.resolve().then(() => close.call(state.plugin)),
            this.#timeoutMs,
            () => new BernsteinError(`Plugin "${state.name}" did not shut down within ${this.#timeoutMs} ms`),
          );
        } catch (error) {
          first ??= error;
          this.#runner.out.keep({
            plugin: state.name,
            hook: "shutdown",
            kind: "error",
            error,
            time: Date.now(),
          });
          this.#logger.error(`Plugin "${state.name}" failed to shut down: ${messageOf(error)}`);
        }
      }
      this.unregister(state.name);
    }
    // Let the process exit now; calls still in flight keep their deadlines while it runs.
    this.#runner.deadlines.release();
    if (first !== undefined && this.#runner.settings.strict) throw first;
  }

  #replay(record: ImplRecord): void {
    let work: Promise<void> | undefined;
    try {
      work = this.#runner.replay(record, () => this.#registry.insert(record));
    } catch (error) {
      // Strict mode: the plugin stays registered; idle() reports the error.
      this.#replayErrors.push(error);
    }
    if (work === undefined) return;
    // Only strict mode lets a replay reject; keep the error for idle() rather than
    // leaving an unhandled rejection behind.
    const tracked: Promise<void> = work
      .catch((error) => void this.#replayErrors.push(error))
      .finally(() => this.#pendingWork.delete(tracked));
    this.#pendingWork.add(tracked);
  }
}
