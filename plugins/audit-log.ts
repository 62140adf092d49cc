/**
 * Bundled plugin: appends every orchestration event as one JSON line to a file.
 * Lines are written one at a time in call order, so concurrent calls neither lose
 * nor interleave lines, and each hook resolves only once its line is written.
 *
 * @module
 */
import { dirname, resolve } from "../src/runtime/path.ts";
import * as v from "valibot";
import { bernsteinHookSpecs, definePlugin, type HookImpls } from "../mod.ts";
// The runtime's files without node:fs, which on Deno would double the CLI's start-up.
import { host } from "../src/runtime/host.ts";

/** The audit log; option `path`: the JSON Lines file to append to, relative to the config (created with its folder). */
export default definePlugin({
  name: "audit-log",
  version: "0.1.0",
  options: v.object({
    path: v.pipe(v.string(), v.nonEmpty("must name the file to append to")),
  }),
  async setup(options, { dir }) {
    const path = resolve(dir, options.path);
    await host.makeDir(dirname(path));
    const file = await host.openAppend(path);
    let tail: Promise<unknown> = Promise.resolve();
    const append = (hook: string, args: unknown): Promise<void> => {
      const line = `${JSON.stringify({ time: new Date().toISOString(), hook, args })}\n`;
      const written = tail.then(() => file.write(line));
      tail = written.catch(() => undefined);
      return written;
    };
    const hooks = Object.fromEntries(
      Object.keys(bernsteinHookSpecs).map((hook) => [hook, (args: unknown) => append(hook, args)]),
    ) as HookImpls;
    return {
      hooks,
      async shutdown() {
        await tail;
        await file.close();
      },
    };
  },
});
