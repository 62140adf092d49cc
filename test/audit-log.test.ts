// plugins/audit-log.ts: one JSON line per event, written before the call resolves.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import auditLog from "../plugins/audit-log.ts";
import { makeTask, testManager } from "./_helpers.ts";

let dir: string;
beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), "bernstein-test-"))));
afterEach(async () => await rm(dir, { recursive: true, force: true }));

describe("audit-log", () => {
  it("appends one JSON line per event, in call order, none lost under concurrent calls", async () => {
    const path = join(dir, "logs", "audit.jsonl");
    const { manager } = testManager();
    await manager.use(auditLog, { path });
    const calls = Array.from(
      { length: 200 },
      (_, i) =>
        manager.hook.onTaskCreated({ task: makeTask({ id: `t-${i}`, description: "x".repeat(i * 50) }) }),
    );
    await Promise.all(calls);
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(200);
    const ids = lines.map((line) => JSON.parse(line)).map((entry) => {
      expect(entry.hook).toBe("onTaskCreated");
      expect(Date.parse(entry.time)).not.toBeNaN();
      return entry.args.task.id;
    });
    expect(ids).toEqual(Array.from({ length: 200 }, (_, i) => `t-${i}`));
    await manager.shutdown();
  });

  it("resolves each hook call only after its line is in the file", async () => {
    const path = join(dir, "audit.jsonl");
    const { manager } = testManager();
    await manager.use(auditLog, { path });
    await manager.hook.onAgentDied({ agentId: "a1", reason: "done" });
    const text = await readFile(path, "utf8");
    expect(JSON.parse(text.trimEnd())).toMatchObject({
      hook: "onAgentDied",
      args: { agentId: "a1", reason: "done" },
    });
    await manager.shutdown();
  });

  it("refuses a missing path with the option's name", async () => {
    const { manager } = testManager();
    await expect(manager.use(auditLog, {})).rejects.toThrow(
      'Cannot register plugin "audit-log": options.path: is required but missing',
    );
  });

  it("reports a write failure through the runner, naming the plugin", async () => {
    const path = join(dir, "audit.jsonl");
    const { manager } = testManager();
    const plugin = await manager.use(auditLog, { path });
    await plugin.shutdown?.(); // closes the file under the plugin's feet
    await manager.hook.onAgentDied({ agentId: "a1", reason: "done" });
    expect(manager.failures.map((f) => `${f.plugin}:${f.hook}`)).toEqual(["audit-log:onAgentDied"]);
  });
});
