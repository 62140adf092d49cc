// Frozen arguments (src/_freeze.ts): what implementations get, and what the host keeps.
import { describe, expect, it } from "vitest";
import { PluginManager } from "../src/manager.ts";
import { makeTask, recordingLogger, testManager } from "./_helpers.ts";

describe("frozen arguments", () => {
  it("copies an object reached by many paths once, however many paths lead to it", () => {
    const { manager } = testManager();
    let seen: { task: { metadata: Record<string, unknown> } } | undefined;
    manager.register({ name: "reader", hooks: { onTaskCreated: (a) => void (seen = a as never) } });
    // 16 levels of nodes whose two children are the same object: 2^16 paths to the leaf, more
    // than a copy made path by path may take (copied so, the two children would differ).
    let node: Record<string, unknown> = { id: "leaf" };
    for (let i = 0; i < 16; i++) node = { id: `n${i}`, left: node, right: node };
    manager.hook.onTaskCreated({ task: makeTask({ metadata: { graph: node } }) });
    const graph = seen!.task.metadata.graph as Record<string, unknown>;
    expect(graph.left).toBe(graph.right);
    expect(Object.isFrozen(graph.left)).toBe(true);
    expect(graph === node).toBe(false);
  });

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

  it("with validation on, never freezes the host's nested objects", () => {
    const m = new PluginManager({ logger: recordingLogger() });
    const labels = ["ui"];
    const task = makeTask({ metadata: { labels, owner: { name: "ada" } } });
    let blocked = false;
    m.register({
      name: "p",
      hooks: {
        onTaskCreated({ task }) {
          try {
            (task.metadata.labels as string[]).push("hack");
          } catch {
            blocked = true;
          }
        },
      },
    });
    m.hook.onTaskCreated({ task });
    expect(blocked).toBe(true);
    labels.push("host can still change its own data");
    expect(Object.isFrozen(task.metadata)).toBe(false);
    expect(Object.isFrozen((task.metadata as { owner: object }).owner)).toBe(false);
  });

  it("with validation off, freezes inside objects the host had frozen only shallowly", () => {
    const m = new PluginManager({ logger: recordingLogger(), validate: false });
    const task = makeTask();
    const args = Object.freeze({ task });
    let changed = false;
    m.register({
      name: "p",
      hooks: {
        onTaskCreated({ task }) {
          try {
            (task as { title: string }).title = "HACKED";
            changed = true;
          } catch {
            // frozen, as it should be
          }
        },
      },
    });
    m.hook.onTaskCreated(args);
    expect(changed).toBe(false);
    expect(task.title).toBe("Add login form");
  });
});
