/**
 * Instantiation: a module's export (or an inline plugin) made into a plugin. A
 * factory gets the entry's options, validated; a function is called with them; a
 * plain object is taken as it is. The entry's `name` and `timeoutMs` apply last.
 *
 * @module
 */
import { formatProblems, PluginValidationError } from "../errors.ts";
import { type Logger, scopedLogger } from "../logger.ts";
import { checkPluginShape } from "../plugin-shape.ts";
import { describe } from "../_text.ts";
import { type HookImpls, instantiatePlugin, isPluginFactory, type Plugin } from "../plugin.ts";
import { type EntryContext, firstLines, loadError } from "./_load-error.ts";

// deno-lint-ignore no-explicit-any
type AnyPlugin = Plugin<any>;

/** What a plugin's setup is given besides its options. */
export interface InstantiateContext {
  /** The logger, scoped to each plugin. */
  readonly logger: Logger;
  /** Where plugins print human output. */
  readonly print?: (line: string) => void;
}

/**
 * The plugin a module exports: its default export, else its export named `plugin`.
 *
 * @param module The module namespace.
 * @param at The entry, for the error.
 * @returns The export.
 * @throws {PluginLoadError} When the module has neither, naming what it does export.
 */
export function pluginExport(module: Record<string, unknown>, at: EntryContext): unknown {
  const exported = "default" in module ? module.default : module.plugin;
  if (exported !== undefined) return exported;
  const names = Object.keys(module);
  throw loadError(
    at,
    `the module has no default export and no export named "plugin"` +
      (names.length > 0 ? ` (it exports ${names.map((n) => `"${n}"`).join(", ")})` : "") +
      `; write export default definePlugin({ ... })`,
  );
}

/**
 * Makes an export into a plugin, with the entry's options, name and deadline.
 *
 * @param exported A factory, a function returning a plugin, or a plugin object.
 * @param at The entry.
 * @param context Logger and print for the plugin's setup.
 * @returns The plugin, its shape checked.
 * @throws {PluginLoadError} For options that do not validate, a setup that throws, or a wrong shape.
 */
export async function instantiate(
  exported: unknown,
  at: EntryContext,
  context: InstantiateContext,
): Promise<AnyPlugin> {
  const plugin = await create(exported, at, context);
  const problems = checkPluginShape(plugin);
  if (problems.length > 0) throw loadError(at, formatProblems(problems));
  const { entry } = at;
  let result = plugin as AnyPlugin;
  if (entry.name !== undefined && result.name !== entry.name) result = { ...result, name: entry.name };
  if (entry.timeoutMs !== undefined) {
    result = { ...result, hooks: withTimeout(result.hooks, entry.timeoutMs) };
  }
  return result;
}

/** The plugin an export makes, before its shape is checked. */
async function create(exported: unknown, at: EntryContext, context: InstantiateContext): Promise<unknown> {
  const { entry } = at;
  if (isPluginFactory(exported)) {
    const name = entry.name ?? exported.name;
    try {
      return await instantiatePlugin(exported, entry.options, {
        name,
        logger: scopedLogger(context.logger, name),
        dir: at.config.dir,
        print: context.print,
      });
    } catch (error) {
      if (error instanceof PluginValidationError) {
        const problems = error.problems.map((p) => ({ ...p, path: `${entry.path}.${p.path}` }));
        throw loadError(at, formatProblems(problems), error);
      }
      throw loadError(at, (error as Error).message, error);
    }
  }
  if (typeof exported === "function") {
    try {
      return await exported(entry.options);
    } catch (error) {
      throw loadError(at, `its factory function threw: ${firstLines(error)}`, error);
    }
  }
  if (typeof exported === "object" && exported !== null) {
    if (entry.options !== undefined) {
      throw loadError(
        at,
        `${entry.path}.options: this plugin is a plain object and takes no options; ` +
          `remove them, or have the plugin export a factory (definePlugin with setup)`,
      );
    }
    return exported;
  }
  throw loadError(at, `the export must be a plugin object or a factory, received ${describe(exported)}`);
}

/** Gives every implementation without its own deadline the entry's. */
function withTimeout(hooks: HookImpls, timeoutMs: number): HookImpls {
  const out: Record<string, unknown> = {};
  for (const [hook, impl] of Object.entries(hooks)) {
    out[hook] = typeof impl === "function"
      ? { handler: impl, timeoutMs }
      : { ...impl, timeoutMs: (impl as { timeoutMs?: number }).timeoutMs ?? timeoutMs };
  }
  return out as HookImpls;
}
