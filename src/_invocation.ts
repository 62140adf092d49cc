// Small pieces the call loop, the generated call lists and the wrappers share: the
// per-invocation context, the markers and the thenable test.
import type { Logger } from "./logger.ts";
import type { HookContext } from "./plugin.ts";

/** Marks an invocation that failed or was skipped: it contributes no result. */
export const SKIP: unique symbol = Symbol("skip");
/** What a generated call list returns when an implementation is pending (left on the run). */
export const PENDING: unique symbol = Symbol("pending");
/** Marks "no error yet" where undefined could be a thrown value. */
export const NO_ERROR: unique symbol = Symbol("none");

/** Whether a value is a promise or another thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

/** A context made for one invocation; its signal is created on first use. */
export class InvocationContext implements HookContext {
  readonly plugin: string;
  readonly hook: string;
  readonly logger: Logger;
  private controller: AbortController | undefined;
  private reason: unknown = NO_ERROR;

  /** A context for one invocation of the record's implementation. */
  constructor(record: { state: { name: string; logger: Logger }; caller: { name: string } }) {
    this.plugin = record.state.name;
    this.hook = record.caller.name;
    this.logger = record.state.logger;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.reason !== NO_ERROR) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts the signal, now or when it is first read. */
  abort(reason: unknown): void {
    this.reason = reason;
    this.controller?.abort(reason);
  }
}
