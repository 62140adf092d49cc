// Frozen arguments (src/_freeze.ts): what implementations get, and what the host keeps.
import { describe, expect, it } from "vitest";
import { PluginManager } from "../src/manager.ts";
import { makeTask, recordingLogger } from "./_helpers.ts";

describe("frozen arguments", () => {
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
