// deno-lint-ignore-file require-await -- async functions here stand for plugins that return promises
// Type inference of definePlugin and the manager. The assertions are checked by
// tsc and deno check (part of npm test); the runtime checks confirm the same plugin works.
import * as v from "valibot";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { BernsteinHookSpecs, Task, TaskResult } from "../src/hookspecs.ts";
import { definePlugin, type HookImpls } from "../src/plugin.ts";
import { type DeepReadonly, defineHookSpec } from "../src/spec.ts";
import { makeTask, testManager } from "./_helpers.ts";

/** A firstResult hook with a string result, shared by the tests below. */
const pickModel = defineHookSpec({
  args: v.object({ role: v.string() }),
  result: v.string(),
  doc: "Picks a model.",
  firstResult: true,
});

describe("types", () => {
  it("infers each implementation's arguments from its hook spec", async () => {
    const plugin = definePlugin({
      name: "typed",
      hooks: {
        onTaskCompleted(args, ctx) {
          expectTypeOf(args.task).toEqualTypeOf<DeepReadonly<Task>>();
          expectTypeOf(args.result).toEqualTypeOf<DeepReadonly<TaskResult>>();
          expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
          // @ts-expect-error arguments are read-only
          args.task.title = "x";
        },
        onCostThreshold: {
          tryFirst: true,
          handler({ totalUsd, thresholdUsd }) {
            expectTypeOf(totalUsd).toEqualTypeOf<number>();
            expectTypeOf(thresholdUsd).toEqualTypeOf<number>();
          },
        },
        onTaskCreated: {
          async wrapper({ task }, next) {
            expectTypeOf(task.priority).toEqualTypeOf<1 | 2 | 3>();
            const inner = await next();
            expectTypeOf(inner).toEqualTypeOf<unknown[]>();
            return inner;
          },
        },
      },
    });
    const { manager } = testManager();
    manager.register(plugin);
    expect(manager.list()[0].hooks).toEqual(["onTaskCompleted", "onCostThreshold", "onTaskCreated"]);
  });

  it("rejects a misspelt hook name and a wrong return type at compile time", () => {
    const hooks: HookImpls<BernsteinHookSpecs> = {
      // @ts-expect-error unknown hook name
      onTaskCreatd() {},
    };
    const plugin = definePlugin({ name: "wrong", hooks });
    expect(plugin.name).toBe("wrong");
    const specs = { pickModel };
    definePlugin<typeof specs>({
      name: "returns",
      // @ts-expect-error the result must be a string
      hooks: { pickModel: () => 42 },
    });
  });

  it("types the manager's callers from its specs, including added ones", async () => {
    const specs = {
      pickModel,
      labels: defineHookSpec({ args: v.object({}), result: v.array(v.string()), doc: "Labels." }),
    };
    const manager = testManager().manager.addHookSpecs(specs, "host");
    manager.register(
      definePlugin<typeof specs>({ name: "p", hooks: { pickModel: ({ role }) => `${role}-model` } }),
    );
    const model = await manager.hook.pickModel({ role: "qa" });
    expectTypeOf(model).toEqualTypeOf<string | undefined>();
    expect(model).toBe("qa-model");
    const labels = await manager.hook.labels({});
    expectTypeOf(labels).toEqualTypeOf<string[][]>();
    // @ts-expect-error wrong argument type
    expect(() => manager.hook.pickModel({ role: 1 })).toThrow("role: Invalid type");
    expect(() => manager.hook.onTaskCreated({ task: makeTask() })).not.toThrow();
  });

  it("infers a factory's options from its schema", async () => {
    const factory = definePlugin({
      name: "opts",
      options: v.object({ url: v.string(), retries: v.optional(v.number(), 3) }),
      setup(options) {
        expectTypeOf(options).toEqualTypeOf<{ url: string; retries: number }>();
        return { hooks: { onAgentDied: () => void options.retries } };
      },
    });
    const { manager } = testManager();
    const plugin = await manager.use(factory, { url: "http://127.0.0.1:1" });
    expect(plugin.name).toBe("opts");
  });
});
