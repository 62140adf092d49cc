/**
 * The plugin manager: holds the hook specs and the registered plugins, checks
 * plugins against the specs, and hands ordered implementation lists to the runner.
 *
 * @module
 */
import {
  BernsteinError,
  HookSpecError,
  PluginValidationError,
  type Problem,
  UnknownHookError,
} from "./errors.ts";
import { type BernsteinHookSpecs, bernsteinHookSpecs } from "./hookspecs.ts";
import { createLogger, type Logger, scopedLogger } from "./logger.ts";
import { createPluginState, createRecord, HookCaller, type ImplRecord, type PluginState } from "./hooks.ts";
import type { Monitor } from "./monitor.ts";
import type { FailureRecord } from "./outcome.ts";
import { callsOf, type PluginStats, totalMsOf } from "./stats.ts";
import {
  checkPluginShape,
  type HookImplOptions,
  instantiatePlugin,
  isPluginFactory,
  type MaybePromise,
  type Plugin,
  type PluginFactory,
} from "./plugin.ts";
import { HookRunner } from "./runner.ts";
import {
  assertHookSpecs,
  type HookCallArgs,
  type HookCallResult,
  type HookSpec,
  type HookSpecs,
  MAX_TIMEOUT_MS,
} from "./spec.ts";
import { closest } from "./_suggest.ts";

/** Options of a {@linkcode PluginManager}. */
export interface PluginManagerOptions<S extends HookSpecs> {
  /** The hook contract; default Bernstein's own hooks. */
  specs?: S;
  /** Who defines `specs`, for error messages; default `"bernstein"`. */
  specsSource?: string;
  /** Where the manager and the plugins log; default `console.error` with a `[bernstein]` prefix. */
  logger?: Logger;
  /** Deadline for each implementation, in milliseconds; default 10 000. */
  timeoutMs?: number;
  /**
   * `"isolate"` (default): a failing implementation is recorded and logged and the
   * call goes on. `"throw"`: the first failure ends the call and propagates, as in
   * pluggy; meant for plugin authors' tests.
   */
  onError?: "isolate" | "throw";
  /**
   * Validate each call's arguments (and results, where the spec has a result
   * schema) with valibot; default `true`. Validation copies the arguments, so the
   * host's own objects are never frozen; it costs about a microsecond per call for
   * a task-sized object. With `false`, the host's arguments are frozen in place.
   */
  validate?: boolean;
  /** Consecutive failures or timeouts that suspend a plugin; default 5; `false` turns it off. */
  circuitBreaker?: number | false;
  /** How many failures `failures` keeps, newest last; default 1000. */
  maxRecordedFailures?: number;
  /**
   * `"sampled"` (default): time calls at intervals that keep the clock reads near
   * 2% of the time spent (every call for implementations doing real work, down to
   * one in 4096 for trivial ones; always the first after a registration change),
   * weighting each timed call by the calls it stands for in `totalMs`; counts stay
   * exact. Reading the clock costs more than calling a trivial implementation, so
   * this keeps dispatch near a plain loop. `"every-call"` times every invocation.
   * Attaching a monitor times every invocation either way.
   */
  timing?: "sampled" | "every-call";
}

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

/** A registered hook spec with where it came from. */
export interface HookSpecEntry {
  /** Hook name. */
  readonly name: string;
  /** The spec. */
  readonly spec: HookSpec;
  /** Who added it: `"bernstein"`, a host name or `plugin "x"`. */
  readonly source: string;
}

/** Typed functions that call each hook: `manager.hook.onTaskCreated({ task })`. */
export type HookCallers<S extends HookSpecs> = {
  readonly [K in keyof S]: (args: HookCallArgs<S[K]>) => MaybePromise<HookCallResult<S[K]>>;
};

// deno-lint-ignore no-explicit-any
type AnyPlugin = Plugin<any>;
// deno-lint-ignore no-explicit-any
type AnyPluginFactory = PluginFactory<any, any>;

/** An implementation whose hook has no spec yet (it was marked optional). */
interface PendingImpl {
  readonly state: PluginState;
  readonly hook: string;
  readonly impl: unknown;
  readonly seq: number;
}

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
  readonly #everyCall: boolean;
  readonly #runner: HookRunner;
  readonly #specs = new Map<string, HookSpecEntry>();
  readonly #callers = new Map<string, HookCaller>();
  readonly #plugins = new Map<string, PluginState>();
  readonly #blocked = new Set<string>();
  readonly #pendingImpls: PendingImpl[] = [];
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
    this.#logger = options.logger ?? createLogger({ prefix: "bernstein" });
    this.#timeoutMs = positive(options.timeoutMs, 10_000, "timeoutMs");
    const breaker = options.circuitBreaker === false
      ? 0
      : positive(options.circuitBreaker, 5, "circuitBreaker");
    if (options.onError !== undefined && options.onError !== "isolate" && options.onError !== "throw") {
      throw new HookSpecError(
        `Cannot create plugin manager: onError must be "isolate" or "throw", not "${options.onError}"`,
      );
    }
    this.#everyCall = everyCall(options.timing);
    this.#runner = new HookRunner({
      strict: options.onError === "throw",
      validate: options.validate ?? true,
      breakerThreshold: breaker,
      maxFailures: positive(options.maxRecordedFailures, 1000, "maxRecordedFailures"),
      logger: this.#logger,
    });
    this.#addSpecs(options.specs ?? bernsteinHookSpecs, options.specsSource ?? "bernstein");
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
    this.#addSpecs(specs, source);
    return this as unknown as PluginManager<S & N>;
  }

  /**
   * Lists the hook specs in the order they were added.
   *
   * @returns Each hook's name, spec and source.
   */
  hookSpecs(): HookSpecEntry[] {
    return [...this.#specs.values()];
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
    const name = typeof plugin?.name === "string" && plugin.name !== "" ? plugin.name : "<unnamed>";
    const problems = checkPluginShape(plugin);
    if (
      typeof plugin !== "object" || plugin === null || typeof plugin.hooks !== "object" ||
      plugin.hooks === null
    ) {
      throw new PluginValidationError(name, problems);
    }
    if (this.#plugins.has(name)) {
      problems.push({
        path: "name",
        message: `a plugin named "${name}" is already registered; give one of them another name`,
      });
    }
    if (this.#blocked.has(name)) {
      problems.push({ path: "name", message: `"${name}" is blocked; call unblock("${name}") first` });
    }
    const ownSpecs = plugin.specs ? this.#checkSpecs(plugin.specs, `plugin "${name}"`, problems) : new Map();
    const accepted: [string, unknown, HookImplOptions][] = [];
    for (const [hook, impl] of Object.entries(plugin.hooks as Record<string, unknown>)) {
      const options: HookImplOptions & { wrapper?: unknown } = typeof impl === "function"
        ? {}
        : impl as never;
      const spec = this.#specs.get(hook)?.spec ?? ownSpecs.get(hook)?.spec;
      if (spec === undefined && !options.optional) {
        problems.push({
          path: `hooks.${hook}`,
          message: unknownHookMessage(hook, [...this.#specs.keys(), ...ownSpecs.keys()]),
        });
        continue;
      }
      if (spec?.historic && isWrapper(impl)) {
        problems.push({
          path: `hooks.${hook}`,
          message: "a wrapper cannot implement a historic hook; make it a plain implementation",
        });
        continue;
      }
      accepted.push([hook, impl, options]);
    }
    for (const entry of ownSpecs.values()) {
      const wrapper = this.#pendingImpls.find((p) => p.hook === entry.name && isWrapper(p.impl));
      if (entry.spec.historic && wrapper) {
        problems.push({
          path: `specs.${entry.name}`,
          message:
            `"${entry.name}" is historic, but plugin "${wrapper.state.name}" implements it with a wrapper`,
        });
      }
    }
    if (problems.length > 0) throw new PluginValidationError(name, problems);

    for (const entry of ownSpecs.values()) this.#commitSpec(entry);
    const state = createPluginState(plugin, this.#logger);
    this.#plugins.set(name, state);
    const seq = this.#seq++;
    const replays: ImplRecord[] = [];
    const touched = new Set<HookCaller>();
    for (const [hook, impl] of accepted) {
      const caller = this.#callers.get(hook);
      if (caller === undefined) {
        this.#pendingImpls.push({ state, hook, impl, seq });
        continue;
      }
      const record = this.#makeRecord(caller, state, impl, seq);
      // A historic hook's new implementation joins the call lists once it has caught up.
      if (caller.history && caller.history.length > 0) replays.push(record);
      else {
        this.#insert(record, false);
        touched.add(caller);
      }
    }
    for (const caller of touched) caller.invalidate();
    for (const record of replays) {
      try {
        this.#track(this.#runner.replay(record, () => this.#insert(record)));
      } catch (error) {
        // Strict mode: the plugin stays registered; idle() reports the error.
        this.#replayErrors.push(error);
      }
    }
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
    for (const caller of this.#callers.values()) {
      const before = caller.records.length;
      const kept = caller.records.filter((record) => record.state !== state);
      if (kept.length !== before) {
        caller.records.splice(0, before, ...kept);
        caller.invalidate();
      }
    }
    for (let i = this.#pendingImpls.length - 1; i >= 0; i--) {
      if (this.#pendingImpls[i].state === state) this.#pendingImpls.splice(i, 1);
    }
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
    const caller = this.#callers.get(hook);
    if (caller === undefined) {
      throw new UnknownHookError(hook, closest(hook, this.#callers.keys()), [...this.#callers.keys()]);
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
          this.#logger.error(
            `Plugin "${state.name}" failed to shut down: ${
              error instanceof Error ? error.message : String(error)
            }`,
          );
        }
      }
      this.unregister(state.name);
    }
    // Let the process exit now; calls still in flight keep their deadlines while it runs.
    this.#runner.deadlines.release();
    if (first !== undefined && this.#runner.settings.strict) throw first;
  }

  #addSpecs(specs: HookSpecs, source: string): void {
    const problems: Problem[] = [];
    const entries = this.#checkSpecs(specs, source, problems);
    if (problems.length > 0) {
      // assertHookSpecs' message names the source already; do not say it twice.
      const prefix = `Cannot add hook specs from "${source}": `;
      const messages = problems.map((p) =>
        p.message.startsWith(prefix) ? p.message.slice(prefix.length) : p.message
      );
      throw new HookSpecError(prefix + messages.join("; "));
    }
    for (const entry of entries.values()) {
      const pending = this.#pendingImpls.filter((p) => p.hook === entry.name);
      const wrapper = pending.find((p) => entry.spec.historic && isWrapper(p.impl));
      if (wrapper) {
        throw new HookSpecError(
          `Cannot add hook specs from "${source}": "${entry.name}" is historic, but plugin "${wrapper.state.name}" implements it with a wrapper`,
        );
      }
    }
    for (const entry of entries.values()) this.#commitSpec(entry);
  }

  #checkSpecs(specs: HookSpecs, source: string, problems: Problem[]): Map<string, HookSpecEntry> {
    const entries = new Map<string, HookSpecEntry>();
    try {
      assertHookSpecs(specs, source);
    } catch (error) {
      problems.push({ path: "specs", message: (error as Error).message });
      return entries;
    }
    for (const [name, spec] of Object.entries(specs)) {
      const existing = this.#specs.get(name);
      // The same spec object again (a plugin registered a second time): nothing to add.
      if (existing?.spec === spec) continue;
      if (existing) {
        problems.push({
          path: `specs.${name}`,
          message:
            `hook "${name}" is specified by both "${existing.source}" and "${source}"; rename one of them`,
        });
      } else entries.set(name, { name, spec, source });
    }
    return entries;
  }

  #commitSpec(entry: HookSpecEntry): void {
    this.#specs.set(entry.name, entry);
    const caller = new HookCaller(entry.name, entry.spec, {
      source: entry.source,
      defaultTimeoutMs: this.#timeoutMs,
      everyCall: this.#everyCall,
    });
    this.#callers.set(entry.name, caller);
    (this.hook as Record<string, unknown>)[entry.name] = (args: unknown) => this.#runner.call(caller, args);
    for (let i = 0; i < this.#pendingImpls.length; i++) {
      const pending = this.#pendingImpls[i];
      if (pending.hook !== entry.name) continue;
      this.#pendingImpls.splice(i--, 1);
      this.#insert(this.#makeRecord(caller, pending.state, pending.impl, pending.seq));
    }
  }

  #makeRecord(caller: HookCaller, state: PluginState, impl: unknown, seq: number): ImplRecord {
    if (caller.spec.deprecated) {
      this.#logger.warn(
        `Plugin "${state.name}" implements deprecated hook "${caller.name}": ${caller.spec.deprecated}`,
      );
    }
    return createRecord(caller, state, { impl, seq, validate: this.#runner.settings.validate });
  }

  #insert(record: ImplRecord, invalidate = true): void {
    record.state.records.push(record);
    record.caller.records.push(record);
    if (invalidate) record.caller.invalidate();
  }

  #track(work: Promise<void> | undefined): void {
    if (work === undefined) return;
    // Only strict mode lets a replay reject; keep the error for idle() rather than
    // leaving an unhandled rejection behind.
    const tracked: Promise<void> = work
      .catch((error) => void this.#replayErrors.push(error))
      .finally(() => this.#pendingWork.delete(tracked));
    this.#pendingWork.add(tracked);
  }
}

function everyCall(timing: "sampled" | "every-call" | undefined): boolean {
  if (timing === undefined || timing === "sampled") return false;
  if (timing === "every-call") return true;
  throw new HookSpecError(
    `Cannot create plugin manager: timing must be "sampled" or "every-call", not "${timing}"`,
  );
}

function isWrapper(impl: unknown): boolean {
  return typeof impl === "object" && impl !== null && (impl as { wrapper?: unknown }).wrapper !== undefined;
}

function unknownHookMessage(hook: string, known: string[]): string {
  const suggestion = closest(hook, known);
  return `unknown hook${suggestion ? `; did you mean "${suggestion}"?` : ""}` +
    ` (mark it { optional: true } if it targets a hook that may not be specified)`;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !(value <= MAX_TIMEOUT_MS)) {
    throw new HookSpecError(
      `Cannot create plugin manager: ${what} must be a positive number up to ${MAX_TIMEOUT_MS}, not ${
        String(value)
      }`,
    );
  }
  return value;
}
