// The hook registry (src/registry.ts): specs added by the host and by plugins.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineHookSpec } from "../src/spec.ts";
import { testManager } from "./_helpers.ts";

describe("hook specs", () => {
  const extra = { onDeploy: defineHookSpec({ args: v.object({ env: v.string() }), doc: "Deployed." }) };

  it("refuses a second spec for an existing hook, naming both sources", () => {
    const { manager } = testManager();
    expect(() =>
      manager.addHookSpecs(
        { onTaskCreated: defineHookSpec({ args: v.object({}), doc: "Again." }) },
        "my-host",
      )
    ).toThrow(
      'Cannot add hook specs from "my-host": hook "onTaskCreated" is specified by both "bernstein" and "my-host"; rename one of them',
    );
  });

  it("lets a plugin add specs of its own that others can implement", () => {
    const { manager } = testManager();
    const seen: string[] = [];
    manager.register(
      {
        name: "deployer",
        specs: extra,
        hooks: { onDeploy: ({ env }: { env: string }) => void seen.push(`deployer:${env}`) },
      } as never,
    );
    manager.register(
      {
        name: "listener",
        hooks: { onDeploy: ({ env }: { env: string }) => void seen.push(`listener:${env}`) },
      } as never,
    );
    manager.call("onDeploy" as never, { env: "prod" } as never);
    expect(seen).toEqual(["deployer:prod", "listener:prod"]);
    expect(manager.hookSpecs().find((s) => s.name === "onDeploy")?.source).toBe('plugin "deployer"');
  });

  it("refuses a plugin whose specs clash, naming both sources, and adds none of them", () => {
    const { manager } = testManager();
    manager.addHookSpecs(extra, "host");
    const other = {
      onShip: defineHookSpec({ args: v.object({}), doc: "Shipped." }),
      onDeploy: defineHookSpec({ args: v.object({}), doc: "Another deploy hook." }),
    };
    expect(() => manager.register({ name: "clash", specs: other, hooks: {} })).toThrow(
      'specs.onDeploy: hook "onDeploy" is specified by both "host" and "plugin "clash""; rename one of them',
    );
    expect(manager.hookSpecs().map((s) => s.name)).not.toContain("onShip");
  });

  it("refuses specs not made by defineHookSpec and names that are not camelCase", () => {
    const { manager } = testManager();
    expect(() => manager.addHookSpecs({ on_deploy: extra.onDeploy, onX: { doc: "x" } } as never, "host"))
      .toThrow(
        'Cannot add hook specs from "host": "on_deploy" is not a camelCase hook name such as "onTaskCreated"; "onX" is not a hook spec; make it with defineHookSpec()',
      );
  });

  it("lists Bernstein's hooks with their source", () => {
    const { manager } = testManager();
    expect(manager.hookSpecs().map((s) => `${s.source}:${s.name}`)).toEqual([
      "bernstein:onTaskCreated",
      "bernstein:onTaskClaimed",
      "bernstein:onTaskCompleted",
      "bernstein:onTaskFailed",
      "bernstein:onAgentSpawned",
      "bernstein:onAgentDied",
      "bernstein:onCostThreshold",
      "bernstein:onQualityGateFailure",
    ]);
  });
});
