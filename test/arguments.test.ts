import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { HookArgumentsError } from "../src/errors.ts";
import { defineHookSpec } from "../src/spec.ts";
import { makeTask, testManager } from "./_helpers.ts";

describe("argument validation", () => {
  const cases: { name: string; args: unknown; message: string }[] = [
    {
      name: "a priority out of range",
      args: { task: makeTask({ priority: 7 as never }) },
      message:
        'Invalid arguments for hook "onTaskCreated": task.priority: Invalid type: Expected (1 | 2 | 3) but received 7',
    },
    {
      name: "a missing task",
      args: {},
      message: 'Invalid arguments for hook "onTaskCreated": task: is required but missing',
    },
    {
      name: "an empty id and an unknown status",
      args: { task: makeTask({ id: "", status: "doing" as never }) },
      message: 'Invalid arguments for hook "onTaskCreated": 2 problems\n' +
        "  - task.id: must be a non-empty id\n" +
        '  - task.status: Invalid type: Expected ("planned" | "open" | "claimed" | "in_progress" | "done" | "closed" | "failed" | "blocked" | "cancelled") but received "doing"',
    },
  ];
  for (const c of cases) {
    it(`names the hook and the path for ${c.name}`, () => {
      const { manager } = testManager();
      let called = false;
      manager.register({ name: "p", hooks: { onTaskCreated: () => void (called = true) } });
      let caught: unknown;
      try {
        manager.hook.onTaskCreated(c.args as never);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(HookArgumentsError);
      expect((caught as Error).message).toBe(c.message);
      expect((caught as HookArgumentsError).hook).toBe("onTaskCreated");
      expect(called).toBe(false);
    });
  }

  it("rejects negative money and non-integer token counts", () => {
    const { manager } = testManager();
    expect(() => manager.hook.onCostThreshold({ totalUsd: -1, thresholdUsd: 5 })).toThrow(
      "totalUsd: Invalid value: Expected >=0 but received -1",
    );
    expect(() =>
      manager.hook.onTaskCompleted({ task: makeTask(), result: { summary: "ok", tokensUsed: 1.5 } })
    ).toThrow("result.tokensUsed: Invalid integer: Received 1.5");
  });

  it("does not check arguments when validation is off", () => {
    const { manager } = testManager({ validate: false });
    let got: unknown;
    manager.register({ name: "p", hooks: { onCostThreshold: (args) => void (got = args) } });
    manager.hook.onCostThreshold({ totalUsd: -1, thresholdUsd: 5 });
    expect(got).toEqual({ totalUsd: -1, thresholdUsd: 5 });
  });

  it("records an invalid result as the plugin's failure", () => {
    const { manager } = testManager();
    const m = manager.addHookSpecs({
      pickModel: defineHookSpec({
        args: v.object({}),
        result: v.picklist(["opus", "sonnet"]),
        doc: "Picks a model.",
        firstResult: true,
      }),
    }, "host");
    m.register({ name: "wrong", hooks: { pickModel: () => "gpt" as never } });
    m.register({ name: "right", hooks: { pickModel: () => "sonnet" } });
    expect(m.hook.pickModel({})).toBe("sonnet");
    expect((m.failures[0].error as Error).message).toBe(
      'Plugin "wrong" returned an invalid result from hook "pickModel": Invalid type: Expected ("opus" | "sonnet") but received "gpt"',
    );
  });
});

describe("frozen arguments", () => {
  it("hands every implementation deeply frozen arguments, and leaves the host's object alone", () => {
    const { manager } = testManager();
    const task = makeTask({ metadata: { labels: ["ui"] }, dependsOn: ["t-0"] });
    const errors: string[] = [];
    const attempt = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        errors.push((error as Error).constructor.name);
      }
    };
    manager.register({
      name: "vandal",
      hooks: {
        onTaskCreated({ task }) {
          const t = task as { title: string; dependsOn: string[]; metadata: { labels: string[] } };
          attempt(() => (t.title = "changed"));
          attempt(() => t.dependsOn.push("t-9"));
          attempt(() => t.metadata.labels.push("hacked"));
        },
      },
    });
    let seen: unknown;
    manager.register({ name: "observer", hooks: { onTaskCreated: ({ task }) => void (seen = task) } });
    manager.hook.onTaskCreated({ task });
    expect(errors).toEqual(["TypeError", "TypeError", "TypeError"]);
    expect(seen).toMatchObject({ title: "Add login form", dependsOn: ["t-0"] });
    expect(Object.isFrozen(task)).toBe(false);
    expect(Object.isFrozen(task.dependsOn)).toBe(false);
  });

  it("freezes the host's object in place when validation is off", () => {
    const { manager } = testManager({ validate: false });
    const args = { agentId: "a", reason: "r" };
    manager.hook.onAgentDied(args);
    expect(Object.isFrozen(args)).toBe(true);
  });

  it("freezes cyclic structures without looping", () => {
    const { manager } = testManager({ validate: false });
    const metadata: Record<string, unknown> = {};
    metadata.self = metadata;
    const task = makeTask({ metadata });
    manager.hook.onTaskCreated({ task });
    expect(Object.isFrozen(metadata)).toBe(true);
  });
});
