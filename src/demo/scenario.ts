/**
 * A scripted orchestration run: two agents, three tasks, a failed quality gate, a
 * cost threshold. It fires every Bernstein hook at least once, for the demo and
 * for tests.
 *
 * @module
 */
import type { BernsteinHookSpecs, Task } from "../hookspecs.ts";
import type { HookCallArgs } from "../spec.ts";

/** One orchestration event: a hook name and its arguments. */
export type OrchestrationEvent = {
  [K in keyof BernsteinHookSpecs]: { hook: K; args: HookCallArgs<BernsteinHookSpecs[K]> };
}[keyof BernsteinHookSpecs];

/**
 * Builds the demo run's events in order.
 *
 * @param start Timestamp of the first task, in epoch milliseconds.
 * @returns The events, covering every hook.
 */
export function demoScenario(start = Date.UTC(2026, 10, 25, 9, 0, 0)): OrchestrationEvent[] {
  const task = (fields: Pick<Task, "id" | "title" | "role" | "priority"> & Partial<Task>): Task => ({
    description: `${fields.title}.`,
    status: "open",
    dependsOn: [],
    createdAt: start,
    metadata: {},
    ...fields,
  });
  const login = task({ id: "T-101", title: "Add login form", role: "frontend", priority: 2 });
  const api = task({ id: "T-102", title: "Expose /sessions endpoint", role: "backend", priority: 1 });
  const docs = task({
    id: "T-103",
    title: "Document the session API",
    role: "docs",
    priority: 3,
    dependsOn: ["T-102"],
  });
  const claimed = (t: Task, agent: string): Task => ({ ...t, status: "claimed", assignedAgent: agent });
  return [
    { hook: "onAgentSpawned", args: { agentId: "agent-1", role: "frontend", adapter: "claude-code" } },
    { hook: "onAgentSpawned", args: { agentId: "agent-2", role: "backend", adapter: "codex" } },
    { hook: "onTaskCreated", args: { task: login } },
    { hook: "onTaskCreated", args: { task: api } },
    { hook: "onTaskCreated", args: { task: docs } },
    { hook: "onTaskClaimed", args: { task: claimed(login, "agent-1"), agentId: "agent-1" } },
    { hook: "onTaskClaimed", args: { task: claimed(api, "agent-2"), agentId: "agent-2" } },
    {
      hook: "onTaskCompleted",
      args: {
        task: { ...claimed(api, "agent-2"), status: "done" },
        result: {
          summary: "Added POST /sessions with tests",
          costUsd: 0.42,
          durationMs: 95_000,
          filesChanged: ["src/api/sessions.ts", "test/sessions.test.ts"],
          tokensUsed: 48_200,
        },
      },
    },
    {
      hook: "onQualityGateFailure",
      args: {
        task: { ...claimed(login, "agent-1"), status: "in_progress" },
        gate: "lint",
        output: "src/login.tsx:12:5 no-unused-vars: 'user' is assigned a value but never used",
      },
    },
    {
      hook: "onTaskFailed",
      args: { task: { ...claimed(login, "agent-1"), status: "failed" }, error: "lint gate failed twice" },
    },
    { hook: "onCostThreshold", args: { totalUsd: 5.13, thresholdUsd: 5 } },
    { hook: "onAgentDied", args: { agentId: "agent-1", reason: "exited with code 1" } },
    { hook: "onAgentDied", args: { agentId: "agent-2", reason: "finished its queue" } },
  ];
}
