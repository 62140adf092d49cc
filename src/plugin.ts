/**
 * The plugin shape, {@linkcode definePlugin} for typed authoring, and making a
 * plugin from a factory with validated options. The shape checks are in
 * plugin-shape.ts.
 *
 * @module
 */
import * as v from "valibot";
import { BernsteinError, PluginValidationError } from "./errors.ts";
import type { BernsteinHookSpecs } from "./hookspecs.ts";
import type { Logger } from "./logger.ts";
import { host } from "./runtime/host.ts";
import type { HookArgs, HookCallResult, HookResult, HookSpecs } from "./spec.ts";
import { checkFactoryShape, checkPluginShape } from "./plugin-shape.ts";
import { issueToProblem } from "./_problems.ts";
import { messageOf } from "./_text.ts";

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** What every implementation receives besides the hook's arguments. */
export interface HookContext {
  /** Name of the plugin the implementation belongs to. */
  readonly plugin: string;
  /** Name of the hook being called. */
  readonly hook: string;
  /**
   * Aborted when this invocation passes its deadline; pass it to `fetch` and the like
   * so that abandoned work stops. A fresh signal is made for each invocation when the
   * implementation declares the `ctx` parameter; an implementation that does not
   * declare it shares one signal for its lifetime.
   */
  readonly signal: AbortSignal;
  /** Logger whose lines name the plugin. */
  readonly logger: Logger;
}

/** A plain implementation: receives the frozen arguments, may return a result. */
export type HookFunction<S> = (
  args: HookArgs<S>,
  ctx: HookContext,
) => MaybePromise<HookResult<S> | undefined | null | void>;

/**
 * A wrapper: runs around the plain implementations (and inner wrappers). `next()`
 * runs them, once however often it is called, and returns what the call would
 * return; the wrapper returns that or a replacement. `await next()` works whether
 * the inner call was synchronous or not.
 */
export type WrapperFunction<S> = (
  args: HookArgs<S>,
  next: () => MaybePromise<HookCallResult<S>>,
  ctx: HookContext,
) => MaybePromise<HookCallResult<S>>;

/** Options that place and bound an implementation. */
export interface HookImplOptions {
  /** Run before the implementations that are not `tryFirst`. */
  tryFirst?: boolean;
  /** Run after the implementations that are not `tryLast`. */
  tryLast?: boolean;
  /** Deadline for one invocation, overriding the hook's and the manager's. */
  timeoutMs?: number;
  /** Allow this implementation to name a hook that no spec defines (yet). */
  optional?: boolean;
}

/**
 * An implementation: a function; or an object with options and either `handler`
 * (a plain implementation) or `wrapper` (a wrapper function). Naming the function
 * by its role, rather than flagging it with `wrapper: true`, lets TypeScript infer
 * its parameters.
 */
export type HookImpl<S> =
  | HookFunction<S>
  | (HookImplOptions & { handler: HookFunction<S>; wrapper?: never })
  | (HookImplOptions & { wrapper: WrapperFunction<S>; handler?: never });

/** A plugin's implementations, keyed by hook name. */
export type HookImpls<Specs extends HookSpecs = BernsteinHookSpecs> = {
  [K in keyof Specs]?: HookImpl<Specs[K]>;
};

/** A plugin as a manager registers it. */
export interface Plugin<Specs extends HookSpecs = BernsteinHookSpecs> {
  /** Unique name within a manager. */
  readonly name: string;
  /** The plugin's own version, shown by listings. */
  readonly version?: string;
  /** Implementations keyed by hook name. */
  readonly hooks: HookImpls<Specs>;
  /** Hook specs this plugin adds for other plugins to implement. */
  readonly specs?: HookSpecs;
  /** Releases resources; called once by the manager's `shutdown()`. */
  readonly shutdown?: () => MaybePromise<void>;
}

/** What a factory's `setup` returns: the per-instance part of a plugin. */
export interface PluginInstance<Specs extends HookSpecs = BernsteinHookSpecs> {
  /** Implementations, usually closures over the instance's state. */
  hooks: HookImpls<Specs>;
  /** Hook specs this plugin adds. */
  specs?: HookSpecs;
  /** Releases what `setup` acquired. */
  shutdown?: () => MaybePromise<void>;
}

/** A valibot schema for a plugin's options. */
export type OptionsSchema = v.GenericSchema;

/** What `setup` receives besides the options. */
export interface SetupContext {
  /** The plugin's name. */
  readonly plugin: string;
  /** Logger whose lines name the plugin. */
  readonly logger: Logger;
  /** Folder that relative paths in options are relative to: the config file's, else the working directory. */
  readonly dir: string;
  /** Writes one line of human output where the host wants it (standard output by default). */
  readonly print: (line: string) => void;
}

/** The input of {@linkcode definePlugin} for a plugin with options and state. */
export interface PluginFactoryInit<Specs extends HookSpecs, O extends OptionsSchema> {
  /** Unique name within a manager. */
  name: string;
  /** The plugin's own version. */
  version?: string;
  /** Schema the options are validated against before `setup` sees them. */
  options?: O;
  /** Makes one instance from validated options. */
  setup: (
    options: v.InferOutput<O>,
    ctx: SetupContext,
  ) => MaybePromise<PluginInstance<Specs>>;
}

/** A plugin that needs options or state: instantiate it with {@linkcode instantiatePlugin}. */
export interface PluginFactory<
  Specs extends HookSpecs = BernsteinHookSpecs,
  O extends OptionsSchema = OptionsSchema,
> extends PluginFactoryInit<Specs, O> {
  /** Marks factories apart from plain plugins. */
  readonly [FACTORY_BRAND]: true;
}

const FACTORY_BRAND: unique symbol = Symbol.for("bernstein.pluginFactory") as never;

/**
 * Defines a plugin with its types inferred from the hook specs: each
 * implementation's `args` and return type come from the spec of its hook, and a
 * misspelt hook name is a type error.
 *
 * Given `hooks`, it returns the plugin object. Given `setup` (and usually an
 * `options` schema), it returns a factory; the manager's `use()` or
 * {@linkcode instantiatePlugin} validates the options and calls `setup`.
 *
 * @param definition The plugin, or its factory.
 * @returns The same plugin, or a branded factory.
 * @throws {PluginValidationError} When the shape is wrong (no name, no hooks).
 * @example
 * ```ts
 * import { definePlugin } from "./plugin.ts";
 * export default definePlugin({
 *   name: "hello",
 *   hooks: {
 *     onTaskCreated({ task }, ctx) {
 *       ctx.logger.info(`created ${task.id}`);
 *     },
 *   },
 * });
 * ```
 */
export function definePlugin<Specs extends HookSpecs = BernsteinHookSpecs>(
  definition: Plugin<NoInfer<Specs>>,
): Plugin<Specs>;
/**
 * Defines a plugin factory: `options` (a valibot schema) are validated before
 * `setup` makes an instance; see the overload above for the plain form.
 *
 * @param definition Name, options schema and setup.
 * @returns The branded factory.
 * @throws {PluginValidationError} When the shape is wrong.
 */
export function definePlugin<
  O extends OptionsSchema,
  Specs extends HookSpecs = BernsteinHookSpecs,
>(definition: PluginFactoryInit<NoInfer<Specs>, O>): PluginFactory<Specs, O>;
export function definePlugin(
  definition: Plugin<HookSpecs> | PluginFactoryInit<HookSpecs, OptionsSchema>,
): Plugin<HookSpecs> | PluginFactory<HookSpecs, OptionsSchema> {
  if (isFactoryInit(definition)) {
    const problems = checkFactoryShape(definition);
    if (problems.length > 0) throw new PluginValidationError(nameOf(definition), problems);
    return Object.freeze({ ...definition, [FACTORY_BRAND]: true as const });
  }
  const problems = checkPluginShape(definition);
  if (problems.length > 0) throw new PluginValidationError(nameOf(definition), problems);
  return definition;
}

/**
 * Tells a plugin factory from a plain plugin.
 *
 * @param value Anything.
 * @returns Whether `value` was made by {@linkcode definePlugin} with `setup`.
 */
// deno-lint-ignore no-explicit-any
export function isPluginFactory(value: unknown): value is PluginFactory<any, any> {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[FACTORY_BRAND] === true;
}

/** Options of {@linkcode instantiatePlugin}. */
export interface InstantiateOptions {
  /** Logger handed to `setup`. */
  logger: Logger;
  /** Overrides the factory's name, so that one factory can be used twice. */
  name?: string;
  /** Folder relative paths in options are relative to; default the working directory. */
  dir?: string;
  /** Where plugins print human output; default standard output. */
  print?: (line: string) => void;
}

/**
 * Validates `options` against the factory's schema and calls its `setup`.
 *
 * @param factory A factory from {@linkcode definePlugin}.
 * @param options Raw options, such as a config entry's.
 * @param init Logger and an optional name override.
 * @returns The plugin, ready to register.
 * @throws {PluginValidationError} When the options are invalid, naming each path.
 * @throws {BernsteinError} When `setup` throws or returns no hooks, with the cause.
 */
export async function instantiatePlugin<Specs extends HookSpecs, O extends OptionsSchema>(
  factory: PluginFactory<Specs, O>,
  options: unknown,
  init: InstantiateOptions,
): Promise<Plugin<Specs>> {
  const name = init.name ?? factory.name;
  let parsed: unknown = options;
  if (factory.options) {
    const result = v.safeParse(factory.options, options);
    if (!result.success) {
      throw new PluginValidationError(name, result.issues.map((issue) => issueToProblem(issue, "options")));
    }
    parsed = result.output;
  } else if (options !== undefined && !isEmptyObject(options)) {
    throw new PluginValidationError(name, [{
      path: "options",
      message: "this plugin takes no options; remove them from its entry",
    }]);
  }
  let instance: PluginInstance<Specs>;
  try {
    instance = await factory.setup(parsed as v.InferOutput<O>, {
      plugin: name,
      logger: init.logger,
      dir: init.dir ?? host.cwd(),
      print: init.print ?? printLine,
    });
  } catch (error) {
    throw new BernsteinError(`Cannot set up plugin "${name}": ${messageOf(error)}`, { cause: error });
  }
  const plugin: Plugin<Specs> = {
    name,
    version: factory.version,
    hooks: instance?.hooks,
    specs: instance?.specs,
    shutdown: instance?.shutdown,
  };
  const problems = checkPluginShape(plugin);
  if (problems.length > 0) {
    throw new PluginValidationError(name, problems.map((p) => ({ ...p, path: `setup() result.${p.path}` })));
  }
  return plugin;
}

function printLine(line: string): void {
  host.write("stdout", `${line}\n`);
}

function isFactoryInit(value: unknown): value is PluginFactoryInit<HookSpecs, OptionsSchema> {
  return typeof value === "object" && value !== null && "setup" in value && !("hooks" in value);
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

function nameOf(value: unknown): string {
  const name = (value as { name?: unknown } | null)?.name;
  return typeof name === "string" && name !== "" ? name : "<unnamed>";
}
