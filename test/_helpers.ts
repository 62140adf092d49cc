// Shared fixtures for the behaviour suite: tasks, a logger that records, managers.
import { createLogger, type Logger, type LogLevel } from "../src/logger.ts";
import { PluginManager, type PluginManagerOptions } from "../src/manager.ts";
import type { BernsteinHookSpecs, Task } from "../src/hookspecs.ts";
import { defineHookSpec, type HookSpecs } from "../src/spec.ts";
import * as v from "valibot";

/** A valid task; fields can be overridden. */
export function makeTask(overrides: Partial<Task> = {}): Task {
  return {
    id: "t-1",
    title: "Add login form",
    description: "Build the login form with validation",
    role: "frontend",
    priority: 2,
    status: "open",
    dependsOn: [],
    createdAt: 1_764_000_000_000,
    metadata: {},
    ...overrides,
  };
}

/** A logger that keeps its lines, for assertions. */
export interface RecordingLogger extends Logger {
  readonly lines: { level: LogLevel; line: string }[];
  /** Lines of one level. */
  at(level: LogLevel): string[];
}

/** Makes a {@linkcode RecordingLogger} that keeps every level. */
export function recordingLogger(): RecordingLogger {
  const lines: { level: LogLevel; line: string }[] = [];
  const logger = createLogger({ level: "debug", sink: (level, line) => lines.push({ level, line }) });
  return { ...logger, lines, at: (level) => lines.filter((l) => l.level === level).map((l) => l.line) };
}

/** A manager with a recording logger, for tests. */
export function testManager<S extends HookSpecs>(
  options: PluginManagerOptions<S> = {},
): { manager: PluginManager<S>; log: RecordingLogger } {
  const log = recordingLogger();
  return { manager: new PluginManager<S>({ logger: log, ...options }), log };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Two host hooks for result tests: a firstResult one and a list one. */
export const resultSpecs = {
  selectModel: defineHookSpec({
    args: v.object({ role: v.string() }),
    result: v.string(),
    doc: "Picks a model for a role; the first answer wins.",
    firstResult: true,
  }),
  collectLabels: defineHookSpec({
    args: v.object({ taskId: v.string() }),
    result: v.string(),
    doc: "Collects labels for a task from every plugin.",
  }),
};

/** Three hooks for call tests: a list one, a firstResult one and a historic one. */
export const callSpecs = {
  collect: defineHookSpec({ args: v.object({ n: v.number() }), doc: "Collects one value from each plugin." }),
  pick: defineHookSpec({
    args: v.object({}),
    result: v.string(),
    doc: "First answer wins.",
    firstResult: true,
  }),
  remember: defineHookSpec({ args: v.object({ n: v.number() }), doc: "Historic.", historic: true }),
};

/** A manager with a recording logger and {@linkcode callSpecs} added. */
export function callManager(
  options: PluginManagerOptions<BernsteinHookSpecs> = {},
): PluginManager<BernsteinHookSpecs & typeof callSpecs> {
  return new PluginManager({ logger: recordingLogger(), ...options }).addHookSpecs(callSpecs, "edge");
}
