/**
 * The hook registry of one manager: its specs, a caller per spec, and the
 * implementations waiting for a spec (marked optional). It makes each
 * implementation's record and puts it in its caller's lists; the manager decides
 * what joins, after the checks in registration.ts.
 *
 * @module
 */
import { HookSpecError, type Problem } from "./errors.ts";
import { createRecord, HookCaller, type ImplRecord, type PluginState } from "./hooks.ts";
import type { Logger } from "./logger.ts";
import { checkSpecs, historicWrapper, type HookSpecEntry, type PendingImpl } from "./registration.ts";
import type { HookSpecs } from "./spec.ts";

/** How a registry makes its callers and records. @internal */
export interface RegistryOptions {
  /** The deadline of implementations and specs that set none. */
  readonly timeoutMs: number;
  /** Time every call. */
  readonly everyCall: boolean;
  /** Whether results are validated. */
  readonly validate: boolean;
  /** Where deprecation warnings go. */
  readonly logger: Logger;
  /** Told of each new hook, to make its typed caller. */
  readonly onHook: (caller: HookCaller) => void;
}

/**
 * The specs, callers and waiting implementations of one manager. @internal
 *
 * @example
 * ```ts
 * import { HookRegistry } from "./registry.ts";
 * import { bernsteinHookSpecs } from "./hookspecs.ts";
 * import { silentLogger } from "./logger.ts";
 * const hooks: string[] = [];
 * const registry = new HookRegistry({
 *   timeoutMs: 1000,
 *   everyCall: false,
 *   validate: true,
 *   logger: silentLogger,
 *   onHook: (caller) => hooks.push(caller.name),
 * });
 * registry.addSpecs(bernsteinHookSpecs, "bernstein");
 * if (!hooks.includes("onTaskCreated")) throw new Error("no caller");
 * ```
 */
export class HookRegistry {
  /** The specs, in the order they were added. */
  readonly specs: Map<string, HookSpecEntry> = new Map();
  /** A caller per spec. */
  readonly callers: Map<string, HookCaller> = new Map();
  /** Implementations waiting for their hook's spec. */
  readonly pending: (PendingImpl & { readonly state: PluginState })[] = [];
  private readonly options: RegistryOptions;

  /**
   * An empty registry.
   *
   * @param options How callers and records are made.
   */
  constructor(options: RegistryOptions) {
    this.options = options;
  }

  /**
   * Adds specs, all or none. Waiting implementations of these hooks join them.
   *
   * @param specs Specs keyed by hook name.
   * @param source Who adds them, named in errors.
   * @throws {HookSpecError} When a name is already specified, a spec is malformed, or
   * a historic spec has a waiting wrapper.
   */
  addSpecs(specs: HookSpecs, source: string): void {
    const problems: Problem[] = [];
    const entries = checkSpecs(specs, { source, existing: this.specs, problems });
    // assertHookSpecs' message names the source already; do not say it twice.
    const prefix = `Cannot add hook specs from "${source}": `;
    if (problems.length > 0) {
      const messages = problems.map((p) =>
        p.message.startsWith(prefix) ? p.message.slice(prefix.length) : p.message
      );
      throw new HookSpecError(prefix + messages.join("; "));
    }
    for (const entry of entries.values()) {
      const wrapper = historicWrapper(entry, this.pending);
      if (wrapper) throw new HookSpecError(prefix + wrapper);
    }
    for (const entry of entries.values()) this.commit(entry);
  }

  /**
   * Adds one checked spec and its caller; waiting implementations of it join.
   *
   * @param entry The spec and its source.
   */
  commit(entry: HookSpecEntry): void {
    const { timeoutMs, everyCall } = this.options;
    this.specs.set(entry.name, entry);
    const caller = new HookCaller(entry.name, entry.spec, {
      source: entry.source,
      defaultTimeoutMs: timeoutMs,
      everyCall,
    });
    this.callers.set(entry.name, caller);
    this.options.onHook(caller);
    for (let i = 0; i < this.pending.length; i++) {
      const pending = this.pending[i];
      if (pending.hook !== entry.name) continue;
      this.pending.splice(i--, 1);
      this.insert(this.record(caller, pending));
    }
  }

  /**
   * Adds a new plugin's checked implementations: to their hooks' lists, or to the
   * waiting ones when their hook has no spec yet.
   *
   * @param state The plugin.
   * @param accepted Its hooks and implementations, in its order, with its registration order.
   * @returns The records of historic hooks with a history, which join once replayed to.
   */
  attach(
    state: PluginState,
    accepted: { impls: readonly (readonly [string, unknown])[]; seq: number },
  ): ImplRecord[] {
    const replays: ImplRecord[] = [];
    const touched = new Set<HookCaller>();
    for (const [hook, impl] of accepted.impls) {
      const caller = this.callers.get(hook);
      const pending = { state, hook, impl, seq: accepted.seq };
      if (caller === undefined) {
        this.pending.push(pending);
        continue;
      }
      const record = this.record(caller, pending);
      // A historic hook's new implementation joins the call lists once it has caught up.
      if (caller.history && caller.history.length > 0) replays.push(record);
      else {
        this.insert(record, false);
        touched.add(caller);
      }
    }
    for (const caller of touched) caller.invalidate();
    return replays;
  }

  /**
   * Removes a plugin's implementations from every list.
   *
   * @param state The plugin.
   */
  detach(state: PluginState): void {
    for (const caller of this.callers.values()) {
      const before = caller.records.length;
      const kept = caller.records.filter((record) => record.state !== state);
      if (kept.length !== before) {
        caller.records.splice(0, before, ...kept);
        caller.invalidate();
      }
    }
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (this.pending[i].state === state) this.pending.splice(i, 1);
    }
  }

  /**
   * Puts a record in its plugin's and its caller's lists.
   *
   * @param record The record.
   * @param invalidate Rebuild the caller's lists before its next call; default true.
   */
  insert(record: ImplRecord, invalidate = true): void {
    record.state.records.push(record);
    record.caller.records.push(record);
    if (invalidate) record.caller.invalidate();
  }

  private record(caller: HookCaller, pending: PendingImpl & { readonly state: PluginState }): ImplRecord {
    const { state, impl, seq } = pending;
    if (caller.spec.deprecated) {
      this.options.logger.warn(
        `Plugin "${state.name}" implements deprecated hook "${caller.name}": ${caller.spec.deprecated}`,
      );
    }
    return createRecord(caller, state, { impl, seq, validate: this.options.validate });
  }
}
