/**
 * Bundled plugin: prints one readable line per orchestration event. Colour only on
 * a terminal, and never when `NO_COLOR` is set.
 *
 * @module
 */
import * as v from "valibot";
import { definePlugin, type HookImpls, type Task } from "../mod.ts";
import { host } from "../src/runtime/host.ts";

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 } as const;

/** The console reporter; options: `color` (default: auto) and `write` (default: the host's output). */
export default definePlugin({
  name: "console-reporter",
  version: "0.1.0",
  options: v.optional(
    v.object({
      /** Force colour on or off; by default on for a terminal without NO_COLOR. */
      color: v.optional(v.boolean()),
      /** Where lines go; default the host's human output (standard output for the CLI). */
      write: v.optional(v.function()),
    }),
    {},
  ),
  setup(options, { print }) {
    const color = options.color ?? (host.isTerminal("stdout") && !host.env("NO_COLOR"));
    const write = (options.write as ((line: string) => void) | undefined) ?? print;
    const paint = (code: keyof typeof CODES, text: string) =>
      color ? `\x1b[${CODES[code]}m${text}\x1b[0m` : text;
    const say = (label: string, code: keyof typeof CODES, text: string) =>
      write(`${paint(code, label.padEnd(14))} ${text}`);
    const name = (task: Pick<Task, "id" | "title">) => `${task.id} "${task.title}"`;
    const hooks: HookImpls = {
      onTaskCreated: ({ task }) =>
        say("task created", "cyan", `${name(task)} for ${task.role}, priority ${task.priority}`),
      onTaskClaimed: ({ task, agentId }) => say("task claimed", "cyan", `${name(task)} by ${agentId}`),
      onTaskCompleted: ({ task, result }) =>
        say(
          "task done",
          "green",
          `${name(task)}: ${result.summary}` +
            (result.costUsd !== undefined ? paint("dim", ` ($${result.costUsd.toFixed(2)})`) : ""),
        ),
      onTaskFailed: ({ task, error }) => say("task failed", "red", `${name(task)}: ${error}`),
      onAgentSpawned: ({ agentId, role, adapter }) =>
        say("agent spawned", "cyan", `${agentId} as ${role} via ${adapter}`),
      onAgentDied: ({ agentId, reason }) => say("agent died", "yellow", `${agentId}: ${reason}`),
      onCostThreshold: ({ totalUsd, thresholdUsd }) =>
        say("cost alert", "yellow", `$${totalUsd.toFixed(2)} spent, threshold $${thresholdUsd.toFixed(2)}`),
      onQualityGateFailure: ({ task, gate, output }) =>
        say("gate failed", "red", `${gate} on ${name(task)}: ${output.split("\n")[0]}`),
    };
    return { hooks };
  },
});
