/**
 * The checks a plugin and its specs pass before they join a manager, as pure
 * functions of what the manager holds: every problem is collected, so that one
 * error lists them all, and nothing changes until they pass.
 *
 * @module
 */
import type { Problem } from "./errors.ts";
import type { Plugin } from "./plugin.ts";
import { checkPluginShape } from "./plugin-shape.ts";
import { assertHookSpecs, type HookSpec, type HookSpecs } from "./spec.ts";
import { closest } from "./_suggest.ts";

/** A registered hook spec with where it came from. */
export interface HookSpecEntry {
  /** Hook name. */
  readonly name: string;
  /** The spec. */
  readonly spec: HookSpec;
  /** Who added it: `"bernstein"`, a host name or `plugin "x"`. */
  readonly source: string;
}

/** An implementation waiting for its hook's spec (it was marked optional). @internal */
export interface PendingImpl {
  /** Its plugin's name, for messages, and whatever the manager keeps with it. */
  readonly state: { readonly name: string };
  /** The hook it implements. */
  readonly hook: string;
  /** The implementation as the plugin gave it. */
  readonly impl: unknown;
  /** Its plugin's registration order. */
  readonly seq: number;
}

/** What a manager holds that a new plugin is checked against. @internal */
export interface Registry {
  /** The specs so far. */
  readonly specs: ReadonlyMap<string, HookSpecEntry>;
  /** Names of registered plugins. */
  readonly registered: { has(name: string): boolean };
  /** Blocked names. */
  readonly blocked: { has(name: string): boolean };
  /** Implementations waiting for their hook's spec. */
  readonly pending: readonly PendingImpl[];
}

/** What {@linkcode checkPlugin} found. @internal */
export interface PluginCheck {
  /** The name problems are reported under (`<unnamed>` when it has none). */
  readonly name: string;
  /** Everything wrong with it; none when it may be registered. */
  readonly problems: Problem[];
  /** Its hooks and implementations that may join, in its order. */
  readonly accepted: readonly (readonly [string, unknown])[];
  /** The specs it brings that are new. */
  readonly ownSpecs: ReadonlyMap<string, HookSpecEntry>;
}

/**
 * Checks a plugin against a manager's specs, names and pending implementations.
 *
 * @example
 * ```ts
 * import { checkPlugin } from "./registration.ts";
 * const check = checkPlugin({ name: "p", hooks: { onTaskCreatd: () => {} } }, {
 *   specs: new Map(),
 *   registered: new Set(),
 *   blocked: new Set(),
 *   pending: [],
 * });
 * if (check.problems[0]?.path !== "hooks.onTaskCreatd") throw new Error("not reported");
 * ```
 *
 * @param plugin The plugin object.
 * @param registry What the manager holds.
 * @returns Its name, its problems, and what may join when there are none.
 */
export function checkPlugin(plugin: Plugin<HookSpecs>, registry: Registry): PluginCheck {
  const name = typeof plugin?.name === "string" && plugin.name !== "" ? plugin.name : "<unnamed>";
  const problems = checkPluginShape(plugin);
  const empty: PluginCheck = { name, problems, accepted: [], ownSpecs: new Map() };
  if (
    typeof plugin !== "object" || plugin === null || typeof plugin.hooks !== "object" || plugin.hooks === null
  ) {
    return empty;
  }
  if (registry.registered.has(name)) {
    problems.push({
      path: "name",
      message: `a plugin named "${name}" is already registered; give one of them another name`,
    });
  }
  if (registry.blocked.has(name)) {
    problems.push({ path: "name", message: `"${name}" is blocked; call unblock("${name}") first` });
  }
  const ownSpecs = plugin.specs
    ? checkSpecs(plugin.specs, { source: `plugin "${name}"`, existing: registry.specs, problems })
    : new Map<string, HookSpecEntry>();
  const accepted: [string, unknown][] = [];
  for (const [hook, impl] of Object.entries(plugin.hooks as Record<string, unknown>)) {
    const optional = typeof impl === "object" && impl !== null && (impl as { optional?: unknown }).optional;
    const spec = registry.specs.get(hook)?.spec ?? ownSpecs.get(hook)?.spec;
    if (spec === undefined && !optional) {
      problems.push({
        path: `hooks.${hook}`,
        message: unknownHookMessage(hook, [...registry.specs.keys(), ...ownSpecs.keys()]),
      });
    } else if (spec?.historic && isWrapper(impl)) {
      problems.push({
        path: `hooks.${hook}`,
        message: "a wrapper cannot implement a historic hook; make it a plain implementation",
      });
    } else accepted.push([hook, impl]);
  }
  for (const entry of ownSpecs.values()) {
    const wrapper = historicWrapper(entry, registry.pending);
    if (wrapper) problems.push({ path: `specs.${entry.name}`, message: wrapper });
  }
  return { name, problems, accepted, ownSpecs };
}

/** Where {@linkcode checkSpecs} reports and what it compares against. @internal */
export interface SpecCheck {
  /** Who adds the specs, named in messages. */
  readonly source: string;
  /** The specs so far. */
  readonly existing: ReadonlyMap<string, HookSpecEntry>;
  /** Where problems are added. */
  readonly problems: Problem[];
}

/**
 * Checks specs to be added: well formed, and no name specified twice.
 *
 * @example
 * ```ts
 * import { checkSpecs } from "./registration.ts";
 * import { bernsteinHookSpecs } from "./hookspecs.ts";
 * const problems: { path: string; message: string }[] = [];
 * const added = checkSpecs(bernsteinHookSpecs, { source: "host", existing: new Map(), problems });
 * if (problems.length !== 0 || !added.has("onTaskCreated")) throw new Error("not added");
 * ```
 *
 * @param specs Specs keyed by hook name.
 * @param check Their source, the specs so far and where to report.
 * @returns The new entries (a spec object already registered under its name is skipped).
 */
export function checkSpecs(specs: HookSpecs, check: SpecCheck): Map<string, HookSpecEntry> {
  const { source, existing: known, problems } = check;
  const entries = new Map<string, HookSpecEntry>();
  try {
    assertHookSpecs(specs, source);
  } catch (error) {
    problems.push({ path: "specs", message: (error as Error).message });
    return entries;
  }
  for (const [name, spec] of Object.entries(specs)) {
    const existing = known.get(name);
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

/**
 * Why a new historic spec clashes with an implementation already waiting for it.
 *
 * @param entry The new spec.
 * @param pending Implementations waiting for their hook's spec.
 * @returns The problem, or undefined when none is a wrapper of it.
 */
export function historicWrapper(entry: HookSpecEntry, pending: readonly PendingImpl[]): string | undefined {
  if (!entry.spec.historic) return undefined;
  const wrapper = pending.find((p) => p.hook === entry.name && isWrapper(p.impl));
  return wrapper &&
    `"${entry.name}" is historic, but plugin "${wrapper.state.name}" implements it with a wrapper`;
}

function isWrapper(impl: unknown): boolean {
  return typeof impl === "object" && impl !== null && (impl as { wrapper?: unknown }).wrapper !== undefined;
}

function unknownHookMessage(hook: string, known: string[]): string {
  const suggestion = closest(hook, known);
  return `unknown hook${suggestion ? `; did you mean "${suggestion}"?` : ""}` +
    ` (mark it { optional: true } if it targets a hook that may not be specified)`;
}
