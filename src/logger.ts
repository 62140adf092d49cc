/**
 * The logger plugins and the manager write to. Small on purpose: hosts adapt it to
 * whatever logging they use.
 *
 * @module
 */

/** Severity levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Where plugins and the manager report what happens. */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string, ...data: unknown[]): void;
  /** Normal progress. */
  info(message: string, ...data: unknown[]): void;
  /** Something is off but work goes on. */
  warn(message: string, ...data: unknown[]): void;
  /** Something failed. */
  error(message: string, ...data: unknown[]): void;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level written; default `"info"`. */
  level?: LogLevel;
  /** Prefix before every message, such as `bernstein`. Default none. */
  prefix?: string;
  /** Receives each line; default writes to `console.error`. */
  sink?: (level: LogLevel, line: string, data: unknown[]) => void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * Creates a logger that filters by level and prefixes its lines.
 *
 * @param options Level, prefix and sink.
 * @returns A logger.
 * @example
 * ```ts
 * import { createLogger } from "./logger.ts";
 * const lines: string[] = [];
 * const log = createLogger({ prefix: "demo", sink: (_l, line) => lines.push(line) });
 * log.info("hello");
 * // lines[0] === "[demo] hello"
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = RANK[options.level ?? "info"];
  const prefix = options.prefix ? `[${options.prefix}] ` : "";
  const sink = options.sink ?? defaultSink;
  const at = (level: LogLevel) => (message: string, ...data: unknown[]): void => {
    if (RANK[level] >= min) sink(level, prefix + message, data);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * Returns a logger that prefixes every message with a scope, such as a plugin name,
 * and passes it on to `parent`.
 *
 * @param parent The logger to write to.
 * @param scope Shown as `[scope] ` before each message.
 * @returns The scoped logger.
 */
export function scopedLogger(parent: Logger, scope: string): Logger {
  const p = `[${scope}] `;
  return {
    debug: (m, ...d) => parent.debug(p + m, ...d),
    info: (m, ...d) => parent.info(p + m, ...d),
    warn: (m, ...d) => parent.warn(p + m, ...d),
    error: (m, ...d) => parent.error(p + m, ...d),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

function defaultSink(_level: LogLevel, line: string, data: unknown[]): void {
  if (data.length === 0) console.error(line);
  else console.error(line, ...data);
}
