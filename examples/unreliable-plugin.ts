/**
 * A plugin that misbehaves on purpose, listed in the repo's config so that the
 * demo shows isolation and timeouts: it throws on one hook and hangs on another.
 * Remove it from your own config.
 *
 * @module
 */
import { definePlugin } from "../mod.ts";

/** Throws in onTaskFailed; hangs in onCostThreshold until its 100 ms deadline. */
export default definePlugin({
  name: "unreliable-demo",
  hooks: {
    onTaskFailed() {
      throw new Error("this plugin throws on purpose; the run goes on");
    },
    onCostThreshold: {
      timeoutMs: 100,
      handler: (_args, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => resolve(), { once: true });
        }),
    },
  },
});
