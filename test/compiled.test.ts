// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
// The generated call lists (src/_compiled.ts): long lists run in chunks of 16.
import { describe, expect, it } from "vitest";
import { makeTask, testManager } from "./_helpers.ts";

const task = makeTask();

describe("long call lists", () => {
  it("keep order, isolation and firstResult across the generated chunks of 16", async () => {
    const { manager } = testManager({ timeoutMs: 30 });
    const seen: number[] = [];
    for (let i = 0; i < 40; i++) {
      const hook = i === 20
        ? () => {
          seen.push(i);
          throw new Error("twenty");
        }
        : i === 33
        ? async () => void seen.push(i)
        : i === 36
        ? () => new Promise(() => seen.push(i)) // never settles: times out
        : () => void seen.push(i);
      manager.register({
        name: `p${i}`,
        hooks: { onTaskCreated: i % 7 === 0 ? { handler: hook, tryLast: true } : hook },
      });
    }
    await manager.hook.onTaskCreated({ task });
    const plain = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 7 !== 0);
    const last = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 7 === 0);
    expect(seen).toEqual([...plain, ...last]);
    expect(manager.failures.map((f) => `${f.plugin}:${f.kind}`)).toEqual(["p20:error", "p36:timeout"]);
  });

  it("return the first answer from deep inside a long list", () => {
    const { manager } = testManager();
    const m = manager;
    for (let i = 0; i < 50; i++) {
      m.register({
        name: `p${i}`,
        hooks: { onAgentDied: () => (i === 45 ? `answer ${i}` : undefined) as never },
      });
    }
    expect(m.hook.onAgentDied({ agentId: "a", reason: "r" })).toEqual(["answer 45"]);
  });
});
