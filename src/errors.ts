/**
 * The error classes of Bernstein plugins. One base class, and a subclass for each
 * kind of problem a caller may want to tell apart.
 *
 * @module
 */

/** One validation problem: where it is and what is wrong. */
export interface Problem {
  /** Dotted path of the offending value, such as `hooks.onTaskCreated` or `task.priority`. */
  readonly path: string;
  /** What is wrong, sentence case, without a trailing period. */
  readonly message: string;
}

/**
 * Base class of every error this library throws on purpose: catch it to tell the
 * library's errors from others.
 *
 * @example
 * ```ts
 * import { BernsteinError, PluginManager } from "../mod.ts";
 * try {
 *   new PluginManager({ timeoutMs: -1 });
 * } catch (error) {
 *   if (!(error instanceof BernsteinError)) throw error;
 *   console.log(error.message); // Cannot create plugin manager: timeoutMs must be a positive number ...
 * }
 * ```
 */
export class BernsteinError extends Error {
  /**
   * Creates the error.
   *
   * @param message What went wrong, action first.
   * @param options Standard error options; pass `cause` when wrapping.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A hook specification is malformed or clashes with one already added, or a
 * manager option is out of range.
 *
 * @example
 * ```ts
 * import { defineHookSpec, HookSpecError, v } from "../mod.ts";
 * try {
 *   defineHookSpec({ args: v.object({}), doc: "" });
 * } catch (error) {
 *   if (!(error instanceof HookSpecError)) throw error;
 * }
 * ```
 */
export class HookSpecError extends BernsteinError {}

/**
 * A plugin does not match the hook contract; it was not registered.
 *
 * @example
 * ```ts
 * import { PluginManager, PluginValidationError } from "../mod.ts";
 * try {
 *   new PluginManager().register({ name: "typo", hooks: { onTaskCreatd: () => {} } } as never);
 * } catch (error) {
 *   if (!(error instanceof PluginValidationError)) throw error;
 *   console.log(error.plugin, error.problems[0].path); // typo hooks.onTaskCreatd
 * }
 * ```
 */
export class PluginValidationError extends BernsteinError {
  /** Name of the plugin, or `"<unnamed>"` when it has none. */
  readonly plugin: string;
  /** Every problem found, so that all can be fixed at once. */
  readonly problems: readonly Problem[];

  /**
   * Creates the error.
   *
   * @param plugin Name of the offending plugin.
   * @param problems Every problem found in it.
   * @param options Standard error options.
   */
  constructor(plugin: string, problems: readonly Problem[], options?: ErrorOptions) {
    super(
      `Cannot register plugin "${plugin}": ${formatProblems(problems)}`,
      options,
    );
    this.plugin = plugin;
    this.problems = problems;
  }
}

/**
 * A hook was called with arguments that do not match its specification.
 *
 * @example
 * ```ts
 * import { HookArgumentsError, PluginManager } from "../mod.ts";
 * try {
 *   new PluginManager().hook.onAgentDied({ agentId: 1 } as never);
 * } catch (error) {
 *   if (!(error instanceof HookArgumentsError)) throw error;
 *   console.log(error.hook, error.problems.map((p) => p.path)); // onAgentDied [ "agentId", "reason" ]
 * }
 * ```
 */
export class HookArgumentsError extends BernsteinError {
  /** Name of the hook that was called. */
  readonly hook: string;
  /** Every problem found in the arguments. */
  readonly problems: readonly Problem[];

  /**
   * Creates the error.
   *
   * @param hook Name of the hook.
   * @param problems Every problem found in the arguments.
   */
  constructor(hook: string, problems: readonly Problem[]) {
    super(`Invalid arguments for hook "${hook}": ${formatProblems(problems)}`);
    this.hook = hook;
    this.problems = problems;
  }
}

/**
 * A hook was called that has no specification.
 *
 * @example
 * ```ts
 * import { PluginManager, UnknownHookError } from "../mod.ts";
 * try {
 *   new PluginManager().call("onTaskCreatd" as never, {} as never);
 * } catch (error) {
 *   if (!(error instanceof UnknownHookError)) throw error;
 *   console.log(error.message); // Cannot call hook "onTaskCreatd": no such hook is specified; did you mean "onTaskCreated"?
 * }
 * ```
 */
export class UnknownHookError extends BernsteinError {
  /** The name that was asked for. */
  readonly hook: string;

  /**
   * Creates the error.
   *
   * @param hook The unknown name.
   * @param suggestion The closest known hook name, if any.
   * @param known The specified hooks, listed when there is no suggestion.
   */
  constructor(hook: string, suggestion?: string, known: readonly string[] = []) {
    super(
      `Cannot call hook "${hook}": no such hook is specified` +
        (suggestion
          ? `; did you mean "${suggestion}"?`
          : known.length > 0
          ? `; the hooks are ${known.join(", ")}`
          : ""),
    );
    this.hook = hook;
  }
}

/**
 * An implementation did not settle before its deadline. The call goes on without
 * it; the error is recorded in the manager's `failures`.
 *
 * @example
 * ```ts
 * import { HookTimeoutError, PluginManager, silentLogger } from "../mod.ts";
 * const manager = new PluginManager({ logger: silentLogger, timeoutMs: 20 });
 * manager.register({ name: "slow", hooks: { onAgentDied: () => new Promise<void>(() => {}) } });
 * await manager.hook.onAgentDied({ agentId: "a1", reason: "exit" });
 * const [failure] = manager.failures;
 * if (!(failure.error instanceof HookTimeoutError) || failure.error.timeoutMs !== 20) throw new Error("no timeout");
 * ```
 */
export class HookTimeoutError extends BernsteinError {
  /** Plugin whose implementation timed out. */
  readonly plugin: string;
  /** Hook being called. */
  readonly hook: string;
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * Creates the error.
   *
   * @param plugin Plugin name.
   * @param hook Hook name.
   * @param timeoutMs The deadline that passed.
   */
  constructor(plugin: string, hook: string, timeoutMs: number) {
    super(
      `Plugin "${plugin}" did not finish hook "${hook}" within ${timeoutMs} ms`,
    );
    this.plugin = plugin;
    this.hook = hook;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Formats problems as one line when there is one, or as an indented list.
 *
 * @param problems The problems to format.
 * @returns Human-readable text.
 */
export function formatProblems(problems: readonly Problem[]): string {
  const line = (p: Problem): string => p.path ? `${p.path}: ${p.message}` : p.message;
  if (problems.length === 1) return line(problems[0]);
  return `${problems.length} problems\n` +
    problems.map((p) => `  - ${line(p)}`).join("\n");
}

/**
 * A config file is missing, cannot be imported or does not validate.
 *
 * @example
 * ```ts
 * import { ConfigError, loadConfig } from "../mod.ts";
 * try {
 *   await loadConfig("no-such.config.ts");
 * } catch (error) {
 *   if (!(error instanceof ConfigError)) throw error;
 *   console.log(error.message); // Cannot read config ...no-such.config.ts...
 * }
 * ```
 */
export class ConfigError extends BernsteinError {
  /** The config file, when one was found. */
  readonly file: string | undefined;
  /** Every problem found in it. */
  readonly problems: readonly Problem[];

  /**
   * Creates the error.
   *
   * @param file The config file, if known.
   * @param summary What went wrong, action first.
   * @param problems Each problem with its path inside the config.
   * @param options Standard error options.
   */
  constructor(
    file: string | undefined,
    summary: string,
    problems: readonly Problem[] = [],
    options?: ErrorOptions,
  ) {
    super(problems.length > 0 ? `${summary}: ${formatProblems(problems)}` : summary, options);
    this.file = file;
    this.problems = problems;
  }
}

/**
 * A configured plugin could not be resolved, fetched, imported or validated. The
 * other plugins still load; {@linkcode LoadReport.errors} lists one per failure.
 *
 * @example
 * ```ts
 * import { mkdtemp, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { loadConfig, loadPlugins, PluginLoadError } from "../mod.ts";
 * const dir = await mkdtemp(join(tmpdir(), "bernstein-example-"));
 * await writeFile(join(dir, "bernstein.config.json"), JSON.stringify({ plugins: ["./missing.ts"] }));
 * const report = await loadPlugins(await loadConfig(undefined, dir));
 * const [error] = report.errors;
 * if (!(error instanceof PluginLoadError) || error.specifier !== "./missing.ts") throw new Error("not reported");
 * ```
 */
export class PluginLoadError extends BernsteinError {
  /** The specifier as written in the config. */
  readonly specifier: string;
  /** Where the entry sits in the config, such as `plugins[2]`. */
  readonly entry: string;

  /**
   * Creates the error.
   *
   * @param specifier The specifier as written.
   * @param entry Where the entry sits in the config.
   * @param reason What went wrong and what to do.
   * @param options Standard error options; pass the underlying error as `cause`.
   */
  constructor(specifier: string, entry: string, reason: string, options?: ErrorOptions) {
    super(`Cannot load plugin "${specifier}" (${entry}): ${reason}`, options);
    this.specifier = specifier;
    this.entry = entry;
  }
}

/**
 * Strict loading failed: every plugin error, listed.
 *
 * @example
 * ```ts
 * import { mkdtemp, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { createManager, LoadFailedError, loadConfig, silentLogger } from "../mod.ts";
 * const dir = await mkdtemp(join(tmpdir(), "bernstein-example-"));
 * await writeFile(join(dir, "bernstein.config.json"), JSON.stringify({ strict: true, plugins: ["./missing.ts"] }));
 * try {
 *   await createManager(await loadConfig(undefined, dir), { logger: silentLogger });
 * } catch (error) {
 *   if (!(error instanceof LoadFailedError) || error.errors.length !== 1) throw error;
 * }
 * ```
 */
export class LoadFailedError extends BernsteinError {
  /** Each plugin that failed. */
  readonly errors: readonly PluginLoadError[];

  /**
   * Creates the error.
   *
   * @param errors Every plugin load error.
   */
  constructor(errors: readonly PluginLoadError[]) {
    super(
      `Cannot load the configured plugins (strict mode): ${errors.length} failed\n` +
        errors.map((e) => `  - ${e.message.replaceAll("\n", "\n    ")}`).join("\n"),
    );
    this.errors = errors;
  }
}
