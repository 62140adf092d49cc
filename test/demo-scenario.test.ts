// src/demo/scenario.ts: the events `bernstein run` replays when given no events file.
import { describe, expect, it } from "vitest";
import { bernsteinHookSpecs } from "../src/hookspecs.ts";
import { demoScenario } from "../src/demo/scenario.ts";
import { testManager } from "./_helpers.ts";

describe("the demo scenario", () => {
  it("fires every Bernstein hook at least once, each with valid arguments", async () => {
    const { manager } = testManager();
    const fired = new Set<string>();
    manager.monitor({ after: (e) => void fired.add(e.hook) });
    manager.register({
      name: "all",
      hooks: Object.fromEntries(Object.keys(bernsteinHookSpecs).map((hook) => [hook, () => {}])),
    });
    for (const event of demoScenario()) await manager.call(event.hook, event.args as never);
    expect([...fired].sort()).toEqual(Object.keys(bernsteinHookSpecs).sort());
  });
});
