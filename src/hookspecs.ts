/**
 * Bernstein's own hooks and the data they carry. This file is the contract: a new
 * orchestration event is added here first.
 *
 * @module
 */
import * as v from "valibot";
import { defineHookSpec } from "./spec.ts";

const Id = v.pipe(v.string(), v.nonEmpty("must be a non-empty id"));
const Usd = v.pipe(v.number(), v.finite(), v.minValue(0));
const Ms = v.pipe(v.number(), v.finite(), v.minValue(0));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

/** Where a task is in its life. */
export const TaskStatusSchema = v.picklist([
  "planned",
  "open",
  "claimed",
  "in_progress",
  "done",
  "closed",
  "failed",
  "blocked",
  "cancelled",
]);

/** Task priority: 1 critical, 2 normal, 3 nice-to-have. */
export const TaskPrioritySchema = v.picklist([1, 2, 3]);

/** A unit of work that an agent claims and carries out. */
export const TaskSchema = v.object({
  id: Id,
  title: v.string(),
  description: v.string(),
  role: v.string(),
  priority: TaskPrioritySchema,
  status: TaskStatusSchema,
  dependsOn: v.array(Id),
  assignedAgent: v.optional(Id),
  model: v.optional(v.string()),
  /** Creation time in milliseconds since the epoch. */
  createdAt: v.pipe(v.number(), v.integer(), v.minValue(0)),
  metadata: v.record(v.string(), v.unknown()),
});

/** What an agent produced for a task. */
export const TaskResultSchema = v.object({
  summary: v.string(),
  costUsd: v.optional(Usd),
  durationMs: v.optional(Ms),
  filesChanged: v.optional(v.array(v.string())),
  tokensUsed: v.optional(Count),
});

/** A unit of work, as hooks receive it. */
export type Task = v.InferOutput<typeof TaskSchema>;
/** A task's status. */
export type TaskStatus = v.InferOutput<typeof TaskStatusSchema>;
/** A task's priority. */
export type TaskPriority = v.InferOutput<typeof TaskPrioritySchema>;
/** What an agent produced for a task. */
export type TaskResult = v.InferOutput<typeof TaskResultSchema>;

/** Bernstein's orchestration hooks. */
export const bernsteinHookSpecs = {
  onTaskCreated: defineHookSpec({
    args: v.object({ task: TaskSchema }),
    doc: "Called when a new task enters the open queue.",
  }),
  onTaskClaimed: defineHookSpec({
    args: v.object({ task: TaskSchema, agentId: Id }),
    doc: "Called when an agent claims a task.",
  }),
  onTaskCompleted: defineHookSpec({
    args: v.object({ task: TaskSchema, result: TaskResultSchema }),
    doc: "Called when a task passes all quality gates and is marked done.",
  }),
  onTaskFailed: defineHookSpec({
    args: v.object({ task: TaskSchema, error: v.string() }),
    doc: "Called when a task fails (quality gate failure or agent error).",
  }),
  onAgentSpawned: defineHookSpec({
    args: v.object({ agentId: Id, role: v.string(), adapter: v.string() }),
    doc: "Called when a CLI agent process is launched.",
  }),
  onAgentDied: defineHookSpec({
    args: v.object({ agentId: Id, reason: v.string() }),
    doc: "Called when an agent process exits, cleanly or by crashing.",
  }),
  onCostThreshold: defineHookSpec({
    args: v.object({ totalUsd: Usd, thresholdUsd: Usd }),
    doc: "Called when cumulative cost exceeds a configured threshold.",
  }),
  onQualityGateFailure: defineHookSpec({
    args: v.object({ task: TaskSchema, gate: v.string(), output: v.string() }),
    doc: "Called when a quality gate (lint, tests, type-check) fails.",
  }),
};

/** The type of Bernstein's hook specs, the default for plugins and the manager. */
export type BernsteinHookSpecs = typeof bernsteinHookSpecs;

/** Each hook's name in ADR-007, the Python design this contract descends from. */
export const adrHookNames: { readonly [K in keyof BernsteinHookSpecs]: string } = {
  onTaskCreated: "on_task_created",
  onTaskClaimed: "on_task_claimed",
  onTaskCompleted: "on_task_completed",
  onTaskFailed: "on_task_failed",
  onAgentSpawned: "on_agent_spawned",
  onAgentDied: "on_agent_died",
  onCostThreshold: "on_cost_threshold",
  onQualityGateFailure: "on_quality_gate_failure",
};
