/**
 * Monitors: observers of every invocation, as pluggy's tracing hooks. The runner
 * tells them when an implementation starts and how it ended; what a monitor throws
 * is logged and never reaches the call.
 *
 * @module
 */
import type { Logger } from "./logger.ts";
import { messageOf } from "./_text.ts";

/** What a monitor sees before each invocation. */
export interface BeforeEvent {
  /** Plugin being invoked. */
  readonly plugin: string;
  /** Hook being called. */
  readonly hook: string;
  /** The frozen arguments. */
  readonly args: unknown;
  /** Whether the implementation is a wrapper. */
  readonly wrapper: boolean;
}

/** What a monitor sees after each invocation. */
export interface AfterEvent extends BeforeEvent {
  /** How the invocation ended. */
  readonly outcome: "ok" | "error" | "timeout";
  /** Time from the call to settling (or to the deadline), in milliseconds. */
  readonly durationMs: number;
  /** The returned value, for `"ok"`. */
  readonly result?: unknown;
  /** The error, for `"error"` and `"timeout"`. */
  readonly error?: unknown;
}

/** Observes every invocation; see the manager's `monitor()`. */
export interface Monitor {
  /** Called just before an implementation runs. */
  before?(event: BeforeEvent): void;
  /** Called when an implementation has settled, failed or timed out. */
  after?(event: AfterEvent): void;
}

/** The implementation an event is about: its plugin's and hook's names. @internal */
export interface Observed {
  /** Its plugin. */
  readonly state: { readonly name: string };
  /** Its hook. */
  readonly caller: { readonly name: string };
  /** Whether it is a wrapper. */
  readonly wrapper: boolean;
}

/**
 * The monitors of one manager. The list is replaced, never mutated, so that a
 * monitor removed during a call does not make the notification skip another.
 * An invocation is reported to the monitors only if there were some when it started,
 * so that no monitor sees an end without its start. @internal
 *
 * @example
 * ```ts
 * import { Monitors } from "./monitor.ts";
 * import { silentLogger } from "./logger.ts";
 * const monitors = new Monitors(silentLogger);
 * const seen: string[] = [];
 * const stop = monitors.add({ before: (event) => seen.push(event.plugin) });
 * monitors.before({ state: { name: "p" }, caller: { name: "onTaskCreated" }, wrapper: false }, {});
 * stop();
 * if (seen.join() !== "p" || monitors.list.length !== 0) throw new Error("not monitored");
 * ```
 */
export class Monitors {
  /** The monitors now attached. */
  list: readonly Monitor[] = [];
  private readonly logger: Logger;

  /**
   * No monitors yet.
   *
   * @param logger Where a monitor's failures are logged.
   */
  constructor(logger: Logger) {
    this.logger = logger;
  }

  /**
   * Attaches a monitor.
   *
   * @param monitor Its callbacks.
   * @returns A function that detaches it.
   */
  add(monitor: Monitor): () => void {
    this.list = [...this.list, monitor];
    return () => {
      this.list = this.list.filter((m) => m !== monitor);
    };
  }

  /**
   * Tells the monitors an invocation starts.
   *
   * @param record The implementation.
   * @param args The call's frozen arguments.
   */
  before(record: Observed, args: unknown): void {
    const event: BeforeEvent = {
      plugin: record.state.name,
      hook: record.caller.name,
      args,
      wrapper: record.wrapper,
    };
    for (const monitor of this.list) {
      try {
        monitor.before?.(event);
      } catch (error) {
        this.failed(error);
      }
    }
  }

  /**
   * Tells the monitors how an invocation ended.
   *
   * @param record The implementation.
   * @param args The call's frozen arguments.
   * @param end The outcome, duration and result or error.
   */
  after(
    record: Observed,
    args: unknown,
    end: Pick<AfterEvent, "outcome" | "durationMs" | "result" | "error">,
  ): void {
    const event: AfterEvent = {
      plugin: record.state.name,
      hook: record.caller.name,
      args,
      wrapper: record.wrapper,
      outcome: end.outcome,
      durationMs: end.durationMs,
      result: end.result,
      error: end.error,
    };
    for (const monitor of this.list) {
      try {
        monitor.after?.(event);
      } catch (error) {
        this.failed(error);
      }
    }
  }

  private failed(error: unknown): void {
    this.logger.error(`A hook monitor failed: ${messageOf(error)}`);
  }
}
