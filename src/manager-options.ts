/**
 * A manager's options and the settings they resolve to, checked once at
 * construction so that a bad option fails there, with the option's name.
 *
 * @module
 */
import { HookSpecError } from "./errors.ts";
import { createLogger, type Logger } from "./logger.ts";
import type { RunnerSettings } from "./runner.ts";
import { type HookSpecs, isTimeout, MAX_TIMEOUT_MS } from "./spec.ts";

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

/** What a manager's options resolve to. @internal */
export interface ManagerSettings {
  /** The runner's settings. */
  readonly runner: RunnerSettings;
  /** The deadline of implementations and specs that set none, and of shutdown. */
  readonly timeoutMs: number;
  /** Time every call. */
  readonly everyCall: boolean;
}

/**
 * Checks a manager's options and fills in the defaults.
 *
 * @example
 * ```ts
 * import { managerSettings } from "./manager-options.ts";
 * const settings = managerSettings({ circuitBreaker: false });
 * if (settings.runner.breakerThreshold !== 0 || settings.timeoutMs !== 10_000) throw new Error("wrong defaults");
 * ```
 *
 * @param options The options as given.
 * @returns The settings.
 * @throws {HookSpecError} When an option is out of range or not one of its values.
 */
export function managerSettings(options: PluginManagerOptions<HookSpecs>): ManagerSettings {
  const timeoutMs = positive(options.timeoutMs, 10_000, "timeoutMs");
  const breaker = options.circuitBreaker === false
    ? 0
    : positive(options.circuitBreaker, 5, "circuitBreaker");
  if (options.onError !== undefined && options.onError !== "isolate" && options.onError !== "throw") {
    throw new HookSpecError(
      `Cannot create plugin manager: onError must be "isolate" or "throw", not "${options.onError}"`,
    );
  }
  const timing = options.timing;
  if (timing !== undefined && timing !== "sampled" && timing !== "every-call") {
    throw new HookSpecError(
      `Cannot create plugin manager: timing must be "sampled" or "every-call", not "${timing}"`,
    );
  }
  return {
    timeoutMs,
    everyCall: timing === "every-call",
    runner: {
      strict: options.onError === "throw",
      validate: options.validate ?? true,
      breakerThreshold: breaker,
      maxFailures: positive(options.maxRecordedFailures, 1000, "maxRecordedFailures"),
      logger: options.logger ?? createLogger({ prefix: "bernstein" }),
    },
  };
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!isTimeout(value)) {
    throw new HookSpecError(
      `Cannot create plugin manager: ${what} must be a positive number up to ${MAX_TIMEOUT_MS}, not ${
        String(value)
      }`,
    );
  }
  return value;
}
