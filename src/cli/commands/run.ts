/**
 * `bernstein run`: loads the plugins and drives the hooks, from an events file,
 * standard input or the built-in demo, then summarises each plugin.
 *
 * @module
 */
import { host } from "../../runtime/host.ts";
import { HookArgumentsError, UnknownHookError } from "../../errors.ts";
import { demoScenario } from "../../demo/scenario.ts";
import { disabledEntries, openManager, UsageError } from "../context.ts";
import { type EventLine, parseEvents } from "../events.ts";
import type { Output } from "../output.ts";
import type { LoadReport } from "../../loader/load.ts";
import type { PluginManager } from "../../manager.ts";

/** Options of `bernstein run`. */
export interface RunOptions {
  /** The config file (default: searched upward). */
  config?: string;
  /** A JSON Lines events file, or - for standard input; default the demo. */
  events?: string;
  /** Fail when any plugin fails to load. */
  strict?: boolean;
  /** Refuse remote modules not in the lockfile. */
  frozen?: boolean;
}

/** Runs the command; returns the exit code. */
export async function run(out: Output, options: RunOptions): Promise<number> {
  // Read the events before any plugin is set up, so a bad path costs nothing.
  const text = await readEvents(options.events);
  const { config, manager, report } = await openManager(out, options);
  const disabled = disabledEntries(config);
  const durations = new Map<string, number[]>();
  const stop = manager.monitor({
    after(event) {
      let list = durations.get(event.plugin);
      if (list === undefined) durations.set(event.plugin, list = []);
      list.push(event.durationMs);
    },
  });
  const events: EventLine[] = text === undefined
    ? demoScenario().map((event, index) => ({ line: index + 1, ...event }))
    : parseEvents(text);
  const source = options.events === undefined ? "demo" : options.events === "-" ? "stdin" : options.events;
  const { delivered, rejected } = await deliver(manager, events);
  stop();
  const stats = manager.stats();
  await manager.shutdown();
  const failures = manager.failures;
  const plugins: PluginRow[] = stats.map((s) => ({
    name: s.name,
    calls: s.calls,
    errors: s.errors,
    timeouts: s.timeouts,
    p50Ms: round(median(durations.get(s.name) ?? [])),
    maxMs: round(s.maxMs),
    suspended: s.suspended,
  }));
  for (const problem of rejected) out.error(`${source} line ${problem.line}: ${problem.problem}`);
  const summary = { source, total: events.length, delivered, rejected, plugins, disabled, failures };
  if (out.json) printJson(out, summary, report);
  else printSummary(out, summary);
  return report.errors.length > 0 || rejected.length > 0 || failures.length > 0 ? 1 : 0;
}

/** The text of the events file (`-`: standard input), or undefined for the demo. */
async function readEvents(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return path === "-" ? await readStdin() : await host.readTextFile(path);
  } catch (error) {
    const reason = host.isNotFound(error)
      ? "no such file"
      : host.isDirectory(error)
      ? "it is a folder, not a file"
      : (error as Error).message;
    throw new UsageError(`cannot read events file "${path}": ${reason}`, "run");
  }
}

/** A rejected event line and why. */
type Rejected = { line: number; problem: string };

/** Delivers each event in order; a line that does not parse or validate is rejected, not delivered. */
async function deliver(
  manager: PluginManager,
  events: EventLine[],
): Promise<{ delivered: number; rejected: Rejected[] }> {
  const rejected: Rejected[] = [];
  let delivered = 0;
  for (const event of events) {
    if ("problem" in event) {
      rejected.push(event);
      continue;
    }
    try {
      await manager.call(event.hook as never, event.args as never);
      delivered++;
    } catch (error) {
      if (!(error instanceof HookArgumentsError || error instanceof UnknownHookError)) throw error;
      rejected.push({ line: event.line, problem: error.message });
    }
  }
  return { delivered, rejected };
}

/** What a run did, for its summary. */
interface RunSummary {
  readonly source: string;
  readonly total: number;
  readonly delivered: number;
  readonly rejected: Rejected[];
  readonly plugins: PluginRow[];
  readonly disabled: ReturnType<typeof disabledEntries>;
  readonly failures: PluginManager["failures"];
}

/** One plugin's line in the summary. */
interface PluginRow {
  name: string;
  calls: number;
  errors: number;
  timeouts: number;
  p50Ms: number;
  maxMs: number;
  suspended: boolean;
}

/** The summary as JSON on standard output. */
function printJson(out: Output, summary: RunSummary, report: LoadReport): void {
  const { source, delivered, rejected, plugins, disabled, failures } = summary;
  out.data({
    events: { source, delivered, rejected },
    plugins,
    disabled,
    loadErrors: report.errors.map((e) => e.message),
    failures: failures.map((f) => ({
      plugin: f.plugin,
      hook: f.hook,
      kind: f.kind,
      message: f.error instanceof Error ? f.error.message : String(f.error),
    })),
  });
}

/** The summary as a line and a table per plugin. */
function printSummary(out: Output, summary: RunSummary): void {
  const { source, delivered, rejected, plugins, disabled, failures } = summary;
  out.line();
  out.line(
    `${delivered} of ${summary.total} events delivered from ${source}` +
      (rejected.length > 0 ? `, ${rejected.length} rejected` : "") +
      `; ${plugins.length} plugin(s)${
        disabled.length > 0 ? ` (${disabled.length} disabled in the config)` : ""
      }, ` +
      `${failures.length} isolated failure(s)`,
  );
  out.table([
    ["plugin", "calls", "errors", "timeouts", "p50 ms", "max ms"],
    ...plugins.map((p) => [
      p.suspended ? `${p.name} (suspended)` : p.name,
      String(p.calls),
      p.errors > 0 ? out.paint("red", String(p.errors)) : "0",
      p.timeouts > 0 ? out.paint("yellow", String(p.timeouts)) : "0",
      p.p50Ms.toFixed(2),
      p.maxMs.toFixed(2),
    ]),
  ]);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

async function readStdin(): Promise<string> {
  // Only for --events -: node:process is worth its start-up cost on Deno here.
  const { default: process } = await import("node:process");
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) bytes.set(chunk, (at += chunk.length) - chunk.length);
  return new TextDecoder().decode(bytes);
}
