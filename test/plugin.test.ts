// Plugins (src/plugin.ts): definePlugin, factories and their options.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { BernsteinError, PluginValidationError } from "../src/errors.ts";
import { definePlugin, instantiatePlugin, isPluginFactory } from "../src/plugin.ts";
import { silentLogger } from "../src/logger.ts";
import { testManager } from "./_helpers.ts";

const counter = definePlugin({
  name: "counter",
  version: "1.0.0",
  options: v.object({ step: v.optional(v.pipe(v.number(), v.minValue(1)), 1), label: v.string() }),
  setup(options, ctx) {
    let count = 0;
    const closed: string[] = [];
    return {
      hooks: {
        onAgentSpawned() {
          count += options.step;
          ctx.logger.info(`${options.label}: ${count}`);
        },
      },
      shutdown() {
        closed.push(options.label);
        shutdowns.push(`${options.label}@${count}`);
      },
    };
  },
});
const shutdowns: string[] = [];
const spawn = { agentId: "a1", role: "backend", adapter: "claude" };

describe("plugin factories", () => {
  it("validates options, keeps state per instance and shuts instances down newest first", async () => {
    shutdowns.length = 0;
    const { manager, log } = testManager();
    expect(isPluginFactory(counter)).toBe(true);
    await manager.use(counter, { label: "a" });
    await manager.use(counter, { label: "b", step: 10 }, "counter-b");
    manager.hook.onAgentSpawned(spawn);
    manager.hook.onAgentSpawned(spawn);
    expect(log.at("info")).toEqual([
      "[counter] a: 1",
      "[counter-b] b: 10",
      "[counter] a: 2",
      "[counter-b] b: 20",
    ]);
    await manager.shutdown();
    expect(shutdowns).toEqual(["b@20", "a@2"]);
    expect(manager.list()).toEqual([]);
  });

  it("names the plugin and the option path when options are invalid", async () => {
    const error = await instantiatePlugin(counter, { step: 0 }, { logger: silentLogger }).catch((e) => e);
    expect(error).toBeInstanceOf(PluginValidationError);
    expect(error.message).toBe(
      'Cannot register plugin "counter": 2 problems\n' +
        "  - options.step: Invalid value: Expected >=1 but received 0\n" +
        "  - options.label: is required but missing",
    );
  });

  it("refuses options for a plugin that takes none", async () => {
    const bare = definePlugin({ name: "bare", setup: () => ({ hooks: {} }) });
    await expect(instantiatePlugin(bare, { x: 1 }, { logger: silentLogger })).rejects.toThrow(
      'Cannot register plugin "bare": options: this plugin takes no options; remove them from its entry',
    );
    await expect(instantiatePlugin(bare, {}, { logger: silentLogger })).resolves.toMatchObject({
      name: "bare",
    });
  });

  it("wraps a setup failure with the plugin name and keeps the cause", async () => {
    const cause = new Error("cannot open audit.jsonl");
    const broken = definePlugin({
      name: "broken-setup",
      setup() {
        throw cause;
      },
    });
    const error = await instantiatePlugin(broken, undefined, { logger: silentLogger }).catch((e) => e);
    expect(error).toBeInstanceOf(BernsteinError);
    expect(error.message).toBe('Cannot set up plugin "broken-setup": cannot open audit.jsonl');
    expect(error.cause).toBe(cause);
  });

  it("refuses a setup that returns no hooks", async () => {
    const empty = definePlugin({ name: "empty", setup: () => ({}) as never });
    await expect(instantiatePlugin(empty, undefined, { logger: silentLogger })).rejects.toThrow(
      'Cannot register plugin "empty": setup() result.hooks: must be an object of implementations keyed by hook name',
    );
  });

  it("refuses malformed definitions up front", () => {
    expect(() => definePlugin({ name: "", hooks: {} })).toThrow(
      'Cannot register plugin "<unnamed>": name: must not be empty',
    );
    expect(() => definePlugin({ name: "x", options: {} as never, setup: () => ({ hooks: {} }) })).toThrow(
      "options: must be a valibot schema",
    );
  });
});
