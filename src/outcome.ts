/**
 * How an invocation ended, recorded in one place: result checks, statistics,
 * failure records, the log, the circuit breaker and the monitors' after events.
 * Plain implementations, wrappers, deadlines and replays all report here.
 *
 * @module
 */
import * as v from "valibot";
import { BernsteinError } from "./errors.ts";
import type { ImplRecord } from "./hooks.ts";
import type { Logger } from "./logger.ts";
import type { Monitor, Monitors } from "./monitor.ts";
import { issueToProblem } from "./_problems.ts";
import { describe, messageOf } from "./_text.ts";
import { countExact, countSample } from "./stats.ts";
import { SKIP } from "./_invocation.ts";

/** A failed invocation, as recorded by the runner. */
export interface FailureRecord {
  /** Plugin whose implementation failed. */
  readonly plugin: string;
  /** Hook being called. */
  readonly hook: string;
  /** `"error"` for a throw, rejection or bad result; `"timeout"` for a missed deadline. */
  readonly kind: "error" | "timeout";
  /** What was thrown, or the {@linkcode HookTimeoutError}. */
  readonly error: unknown;
  /** When it happened, in milliseconds since the epoch. */
  readonly time: number;
}

/** What the outcome of one invocation is recorded against: its call's state. @internal */
export interface Invocation {
  /** The call's frozen arguments. */
  readonly args: unknown;
  /** 0 when the invocation's duration is not measured, else the calls it stands for. */
  readonly weight: number;
  /** When the invocation started (performance.now()), when measured. */
  readonly start: number;
  /** When it ended, when measured: read by the caller right after it returned, threw or settled. */
  readonly end: number;
  /** Whether the monitors were told of its start (they are then told of its end). */
  readonly monitored: boolean;
  /** The monitors told of its start, when monitored. */
  readonly seen: readonly Monitor[];
  /** Time spent in the inner levels of a wrapper, which is not its own. */
  readonly innerMs: number;
  /** An error the inner levels of a wrapper raised, or NO_ERROR. */
  readonly innerError: unknown;
}

/** How failures are handled; fixed for a manager's lifetime. @internal */
export interface OutcomeSettings {
  /** Rethrow implementation failures (`onError: "throw"`). */
  readonly strict: boolean;
  /** Consecutive failures that suspend a plugin; 0 turns the breaker off. */
  readonly breakerThreshold: number;
  /** How many failure records to keep. */
  readonly maxFailures: number;
  /** Where failures are logged. */
  readonly logger: Logger;
}

/** How an invocation ended. */
export type OutcomeKind = "ok" | "error" | "timeout";

/**
 * Records invocations' outcomes for one manager. @internal
 *
 * @example
 * ```ts
 * import { Outcomes } from "./outcome.ts";
 * import { Monitors } from "./monitor.ts";
 * import { silentLogger } from "./logger.ts";
 * const settings = { strict: false, breakerThreshold: 1, maxFailures: 10, logger: silentLogger };
 * const outcomes = new Outcomes(settings, new Monitors(silentLogger));
 * if (outcomes.failures.length !== 0) throw new Error("not empty");
 * ```
 */
export class Outcomes {
  /** Recorded failures, oldest first, at most settings.maxFailures. */
  readonly failures: FailureRecord[] = [];
  /** How failures are handled. */
  readonly settings: OutcomeSettings;
  private readonly monitors: Monitors;

  /**
   * Records nothing yet.
   *
   * @param settings How failures are handled.
   * @param monitors Told of each monitored invocation's end.
   */
  constructor(settings: OutcomeSettings, monitors: Monitors) {
    this.settings = settings;
    this.monitors = monitors;
  }

  /**
   * Records how one invocation ended. A result is checked (a wrapper's must be a
   * list, unless its hook is firstResult; others against the hook's result schema),
   * its duration counted when measured and the breaker's count reset. A failure is
   * counted, recorded, logged and fed to the breaker. Monitors that saw the start
   * are told. It takes four positional parameters, one more than elsewhere: it
   * runs on every invocation that returns something, where an options object would
   * be an allocation each time.
   *
   * @param record The implementation.
   * @param inv Its call's state.
   * @param value What it returned (for "ok"), threw, or the timeout error.
   * @param kind How it ended.
   * @returns The result (the schema's output), or SKIP when it failed.
   * @throws The failure in strict mode, and an inner error a wrapper let through.
   */
  record(record: ImplRecord, inv: Invocation, value: unknown, kind: OutcomeKind): unknown {
    if (kind !== "ok") return this.failed(record, inv, { error: value, kind });
    const spec = record.caller.spec;
    if (record.wrapper && spec.firstResult !== true) {
      if (!Array.isArray(value)) {
        return this.failed(record, inv, { error: notAList(record, value), kind: "error" });
      }
    } else if (record.checksResult && value !== undefined && value !== null) {
      const parsed = v.safeParse(spec.result!, value);
      if (!parsed.success) {
        return this.failed(record, inv, { error: invalidResult(record, parsed.issues[0]), kind: "error" });
      }
      value = parsed.output;
    }
    if (inv.weight > 0) {
      const durationMs = inv.end - inv.start - inv.innerMs;
      countSample(record, durationMs, inv.weight);
      if (inv.monitored) {
        this.monitors.after(record, inv, { outcome: "ok", durationMs, result: value, error: undefined });
      }
    }
    if (record.state.consecutiveFailures !== 0) record.state.consecutiveFailures = 0;
    return value;
  }

  /**
   * Logs a result or failure that arrived after the deadline.
   *
   * @param record The implementation.
   * @param what "returned" or "failed".
   */
  late(record: ImplRecord, what: string): void {
    this.settings.logger.debug(
      `Plugin "${record.state.name}" ${what} from hook "${record.caller.name}" after its deadline; ignored`,
    );
  }

  /**
   * Keeps a failure record, dropping the oldest beyond the limit.
   *
   * @param failure The record.
   */
  keep(failure: FailureRecord): void {
    const failures = this.failures;
    failures.push(failure);
    if (failures.length > this.settings.maxFailures) {
      failures.splice(0, failures.length - this.settings.maxFailures);
    }
  }

  private failed(
    record: ImplRecord,
    inv: Invocation,
    failure: { readonly error: unknown; readonly kind: "error" | "timeout" },
  ): typeof SKIP {
    const { error, kind } = failure;
    const state = record.state;
    const measured = inv.weight > 0;
    const durationMs = measured
      ? inv.end - inv.start - inv.innerMs
      : kind === "timeout"
      ? record.timeoutMs
      : 0;
    if (kind === "timeout") countExact(record, durationMs);
    else if (measured) countSample(record, durationMs, inv.weight);
    const after = { outcome: kind, durationMs, result: undefined, error };
    if (error === inv.innerError) {
      // Strict mode: a wrapper let an inner error through; that is not its own failure.
      if (inv.monitored) this.monitors.after(record, inv, after);
      throw error;
    }
    const { logger, breakerThreshold, strict } = this.settings;
    if (kind === "timeout") state.stats.timeouts++;
    else state.stats.errors++;
    this.keep({ plugin: state.name, hook: record.caller.name, kind, error, time: Date.now() });
    logger.error(
      kind === "timeout"
        ? `${messageOf(error)}; the call went on without it`
        : `Plugin "${state.name}" failed in hook "${record.caller.name}": ${messageOf(error)}`,
    );
    state.consecutiveFailures++;
    if (breakerThreshold > 0 && state.consecutiveFailures >= breakerThreshold && !state.suspended) {
      state.suspended = true;
      state.off = true;
      logger.error(
        `Plugin "${state.name}" suspended after ${state.consecutiveFailures} consecutive failures; ` +
          `fix it and call resume("${state.name}") to enable it again`,
      );
    }
    if (inv.monitored) this.monitors.after(record, inv, after);
    if (strict) throw error;
    return SKIP;
  }
}

function notAList(record: ImplRecord, value: unknown): BernsteinError {
  return new BernsteinError(
    `Wrapper of plugin "${record.state.name}" for hook "${record.caller.name}" returned ${
      describe(value)
    }; return the value of next() or a replacement list`,
  );
}

function invalidResult(record: ImplRecord, issue: v.BaseIssue<unknown>): BernsteinError {
  const problem = issueToProblem(issue);
  return new BernsteinError(
    `Plugin "${record.state.name}" returned an invalid result from hook "${record.caller.name}": ${
      problem.path ? `${problem.path}: ` : ""
    }${problem.message}`,
  );
}
