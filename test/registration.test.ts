// Registration checks (src/registration.ts): every problem with a plugin, at once.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { PluginValidationError } from "../src/errors.ts";
import { PluginManager } from "../src/manager.ts";
import { defineHookSpec } from "../src/spec.ts";
import { callManager, makeTask, recordingLogger, testManager } from "./_helpers.ts";

function registrationError(fn: () => void): PluginValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PluginValidationError) return error;
    throw error;
  }
  throw new Error("expected a PluginValidationError");
}

const historicSpecs = {
  onConfigured: defineHookSpec({
    args: v.object({ key: v.string() }),
    doc: "Called once per setting; late plugins get every earlier call replayed.",
    historic: true,
  }),
};

describe("registration", () => {
  it("lists plugins in registration order with the hooks each implements", () => {
    const { manager } = testManager();
    manager.register({ name: "a", version: "1.2.0", hooks: { onTaskCreated() {}, onAgentDied() {} } });
    manager.register({ name: "b", hooks: { onCostThreshold() {} } });
    expect(manager.list()).toEqual([
      { name: "a", version: "1.2.0", hooks: ["onTaskCreated", "onAgentDied"], suspended: false },
      { name: "b", version: undefined, hooks: ["onCostThreshold"], suspended: false },
    ]);
    expect(manager.getPlugin("b")?.name).toBe("b");
  });

  it("refuses a duplicate name", () => {
    const { manager } = testManager();
    manager.register({ name: "a", hooks: {} });
    expect(() => manager.register({ name: "a", hooks: {} })).toThrow(
      'Cannot register plugin "a": name: a plugin named "a" is already registered; give one of them another name',
    );
  });

  it("unregisters by name and stops calling the plugin", () => {
    const { manager } = testManager();
    let calls = 0;
    const plugin = { name: "a", hooks: { onAgentDied: () => void calls++ } };
    manager.register(plugin);
    expect(manager.unregister("a")).toBe(plugin);
    expect(manager.unregister("a")).toBeUndefined();
    manager.hook.onAgentDied({ agentId: "x", reason: "r" });
    expect(calls).toBe(0);
    expect(manager.list()).toEqual([]);
  });

  it("blocks a name: unregisters it and refuses it until unblocked", () => {
    const { manager } = testManager();
    manager.register({ name: "noisy", hooks: {} });
    manager.block("noisy");
    expect(manager.list()).toEqual([]);
    expect(manager.isBlocked("noisy")).toBe(true);
    expect(() => manager.register({ name: "noisy", hooks: {} })).toThrow(
      '"noisy" is blocked; call unblock("noisy") first',
    );
    expect(manager.unblock("noisy")).toBe(true);
    manager.register({ name: "noisy", hooks: {} });
    expect(manager.list().map((p) => p.name)).toEqual(["noisy"]);
  });

  const suggestions: [string, string][] = [
    ["onTaskCreatd", "onTaskCreated"],
    ["on_task_completed", "onTaskCompleted"],
    ["ontaskfailed", "onTaskFailed"],
    ["onAgentSpwned", "onAgentSpawned"],
  ];
  for (const [typo, expected] of suggestions) {
    it(`suggests "${expected}" for the unknown hook "${typo}"`, () => {
      const { manager } = testManager();
      const error = registrationError(() => manager.register({ name: "typo", hooks: { [typo]: () => {} } }));
      expect(error.plugin).toBe("typo");
      expect(error.problems).toEqual([{
        path: `hooks.${typo}`,
        message:
          `unknown hook; did you mean "${expected}"? (mark it { optional: true } if it targets a hook that may not be specified)`,
      }]);
    });
  }

  it("makes no suggestion when nothing is close", () => {
    const { manager } = testManager();
    const error = registrationError(() => manager.register({ name: "p", hooks: { somethingElse() {} } }));
    expect(error.problems[0].message).toBe(
      "unknown hook (mark it { optional: true } if it targets a hook that may not be specified)",
    );
  });

  it("reports every problem at once and leaves the manager unchanged", () => {
    const { manager } = testManager();
    manager.register({ name: "existing", hooks: { onTaskCreated() {} } });
    const before = manager.list();
    const error = registrationError(() =>
      manager.register({
        name: "bad",
        hooks: {
          onTaskCreated() {},
          onTaskCreatd() {},
          onAgentDied: { handler: () => {}, tryFirst: true, tryLast: true },
          onCostThreshold: { handler: "not a function", tryfirst: true },
          onTaskFailed: 42,
        } as never,
      })
    );
    expect(error.message).toBe(
      'Cannot register plugin "bad": 5 problems\n' +
        "  - hooks.onAgentDied: tryFirst and tryLast cannot both be set\n" +
        "  - hooks.onCostThreshold.handler: must be a function\n" +
        '  - hooks.onCostThreshold.tryfirst: unknown key "tryfirst"; the options are handler, wrapper, tryFirst, tryLast, timeoutMs, optional\n' +
        "  - hooks.onTaskFailed: expected a function, { handler, ...options } or { wrapper, ...options }, received a number\n" +
        '  - hooks.onTaskCreatd: unknown hook; did you mean "onTaskCreated"? (mark it { optional: true } if it targets a hook that may not be specified)',
    );
    expect(manager.list()).toEqual(before);
    const task = makeTask();
    expect(manager.hook.onTaskCreated({ task })).toEqual([]);
  });

  const shapes: [string, unknown, string][] = [
    [
      "a non-object",
      "plugin",
      'Cannot register plugin "<unnamed>": expected a plugin object with "name" and "hooks", received a string',
    ],
    ["a missing name", { hooks: {} }, 'Cannot register plugin "<unnamed>": name: is required but missing'],
    ["an empty name", { name: "", hooks: {} }, 'Cannot register plugin "<unnamed>": name: must not be empty'],
    [
      "hooks at the top level",
      { name: "flat", onTaskCreated() {} },
      'Cannot register plugin "flat": 2 problems\n' +
      "  - hooks: is required but missing\n" +
      '  - onTaskCreated: hook implementations belong under "hooks": { hooks: { onTaskCreated() {} } }',
    ],
    [
      "a non-function shutdown",
      { name: "s", hooks: {}, shutdown: true },
      'Cannot register plugin "s": shutdown: must be a function',
    ],
    [
      "a zero timeout",
      { name: "t", hooks: { onTaskCreated: { handler() {}, timeoutMs: 0 } } },
      'Cannot register plugin "t": hooks.onTaskCreated.timeoutMs: must be a positive number of milliseconds',
    ],
  ];
  for (const [what, plugin, message] of shapes) {
    it(`explains ${what}`, () => {
      const { manager } = testManager();
      expect(() => manager.register(plugin as never)).toThrow(message);
      expect(manager.list()).toEqual([]);
    });
  }

  it("accepts an optional implementation of an unknown hook and binds it when the spec arrives", () => {
    const { manager } = testManager();
    const seen: string[] = [];
    manager.register({
      name: "forward-looking",
      hooks: {
        onBudgetReset: { optional: true, handler: (args: { by: string }) => void seen.push(args.by) },
      } as never,
    });
    expect(manager.list()[0].hooks).toEqual(["onBudgetReset"]);
    const m = manager.addHookSpecs({
      onBudgetReset: defineHookSpec({ args: v.object({ by: v.string() }), doc: "Budget reset." }),
    }, "billing");
    m.hook.onBudgetReset({ by: "admin" });
    expect(seen).toEqual(["admin"]);
  });

  it("warns once when a plugin implements a deprecated hook", () => {
    const { manager, log } = testManager();
    const m = manager.addHookSpecs({
      onOldEvent: defineHookSpec({ args: v.object({}), doc: "Old.", deprecated: "use onTaskFailed instead" }),
    }, "host");
    m.register({ name: "legacy", hooks: { onOldEvent() {} } });
    m.hook.onOldEvent({});
    m.hook.onOldEvent({});
    expect(log.at("warn")).toEqual([
      'Plugin "legacy" implements deprecated hook "onOldEvent": use onTaskFailed instead',
    ]);
  });

  it("refuses a wrapper on a historic hook", () => {
    const { manager } = testManager();
    const m = manager.addHookSpecs(historicSpecs, "host");
    expect(() => m.register({ name: "w", hooks: { onConfigured: { wrapper: (_a, next) => next() } } }))
      .toThrow(
        "hooks.onConfigured: a wrapper cannot implement a historic hook; make it a plain implementation",
      );
  });

  it("refuses an optional wrapper for a hook that turns out historic, from a plugin's specs", () => {
    const m = callManager();
    m.register(
      {
        name: "w",
        hooks: {
          onLater: {
            optional: true,
            wrapper: (_a: unknown, n: () => unknown) => n(),
          },
        },
      } as never,
    );
    const later = { onLater: defineHookSpec({ args: v.object({}), doc: "Later.", historic: true }) };
    let error: unknown;
    try {
      m.register({ name: "spec-owner", specs: later, hooks: {} } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PluginValidationError);
    expect((error as Error).message).toBe(
      'Cannot register plugin "spec-owner": specs.onLater: "onLater" is historic, but plugin "w" implements it with a wrapper',
    );
  });

  it("warns about a deprecated hook when an optional implementation joins it later", () => {
    const log = recordingLogger();
    const m = new PluginManager({ logger: log });
    m.register({ name: "early", hooks: { onOld: { optional: true, handler() {} } } } as never);
    m.addHookSpecs(
      { onOld: defineHookSpec({ args: v.object({}), doc: "Old.", deprecated: "use onNew" }) },
      "host",
    );
    expect(log.at("warn")).toEqual(['Plugin "early" implements deprecated hook "onOld": use onNew']);
  });
});
