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
 * A monitor is told of an invocation's end only if it was told of its start and is
 * still attached. @internal
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
   * @returns The monitors told, the only ones to be told of its end.
   */
  before(record: Observed, args: unknown): readonly Monitor[] {
    const told = this.list;
    const event: BeforeEvent = {
      plugin: record.state.name,
      hook: record.caller.name,
      args,
      wrapper: record.wrapper,
    };
    for (const monitor of told) {
      try {
        monitor.before?.(event);
      } catch (error) {
        this.failed(error);
      }
    }
    return told;
  }

  /**
   * Tells the monitors that saw an invocation start, and are still attached, how it ended.
   *
   * @param record The implementation.
   * @param inv The call's frozen arguments, and the monitors before() told.
   * @param end The outcome, duration and result or error.
   */
  after(
    record: Observed,
    inv: { readonly args: unknown; readonly seen: readonly Monitor[] },
    end: Pick<AfterEvent, "outcome" | "durationMs" | "result" | "error">,
  ): void {
    const { args, seen } = inv;
    const current = this.list;
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
    for (const monitor of seen) {
      if (seen !== current && !current.includes(monitor)) continue;
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
