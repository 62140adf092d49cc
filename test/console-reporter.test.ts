// plugins/console-reporter.ts: one readable line per event.
import { describe, expect, it } from "vitest";
import consoleReporter from "../plugins/console-reporter.ts";
import { demoScenario } from "../src/demo/scenario.ts";
import { testManager } from "./_helpers.ts";

describe("console-reporter", () => {
  it("prints one readable line per event, without colour when asked", async () => {
    const { manager } = testManager();
    const lines: string[] = [];
    await manager.use(consoleReporter, { color: false, write: (line: string) => lines.push(line) });
    for (const event of demoScenario()) await manager.call(event.hook, event.args as never);
    expect(lines).toHaveLength(demoScenario().length);
    expect(lines[0]).toBe("agent spawned  agent-1 as frontend via claude-code");
    expect(lines).toContain(
      'task done      T-102 "Expose /sessions endpoint": Added POST /sessions with tests ($0.42)',
    );
    expect(lines).toContain("cost alert     $5.13 spent, threshold $5.00");
    expect(lines.join("\n")).not.toContain("\x1b[");
  });

  it("colours labels when colour is on", async () => {
    const { manager } = testManager();
    const lines: string[] = [];
    await manager.use(consoleReporter, { color: true, write: (line: string) => lines.push(line) });
    manager.hook.onAgentDied({ agentId: "a1", reason: "oom" });
    expect(lines).toEqual(["\x1b[33magent died    \x1b[0m a1: oom"]);
  });
});
