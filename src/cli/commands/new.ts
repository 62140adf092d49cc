/**
 * `bernstein new plugin <name>`: writes a plugin and a test for it that pass as
 * written, on Node (node --test through tsx) and on Deno (deno test).
 *
 * @module
 */
import { filePath, host } from "../../runtime/host.ts";
import { dirname, join, relative, resolve } from "../../runtime/path.ts";
import type { Output } from "../output.ts";
import { UsageError } from "../usage.ts";

/** Options of `bernstein new plugin`. */
export interface NewOptions {
  /** Folder to write into; default `plugins`. */
  dir?: string;
}

const LIBRARY = filePath(new URL("../../../mod.ts", import.meta.url));
const PACKAGE = "bernstein-plugins";

/**
 * The package name, when `dir` sees this library installed under it (its own
 * node_modules or a parent's): then the plugin imports "bernstein-plugins", not a
 * path into node_modules or into wherever a linked install points.
 */
async function packageImport(dir: string): Promise<string | undefined> {
  const library = await host.realPath(dirname(LIBRARY)).catch(() => dirname(LIBRARY));
  for (let at = dir;; at = dirname(at)) {
    // The first folder of that name Node would find decides: another copy there means a path to this one.
    const installed = await host.realPath(join(at, "node_modules", PACKAGE)).catch(() => undefined);
    if (installed !== undefined) return installed === library ? PACKAGE : undefined;
    if (dirname(at) === at) return undefined;
  }
}

/** `file` as a relative import from `from`: forward slashes, starting with ./ or ../. */
function relativeSpecifier(from: string, file: string): string {
  const path = relative(from, file).replaceAll("\\", "/");
  return /^\.\.?\//.test(path) ? path : `./${path}`;
}

/** Writes `<dir>/<name>.ts` and `<dir>/<name>.test.ts`; refuses to overwrite. */
export async function newPlugin(out: Output, name: string | undefined, options: NewOptions): Promise<number> {
  if (name === undefined) throw new UsageError("name the plugin: bernstein new plugin <name>", "new");
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
    throw new UsageError(
      `"${name}" is not a valid plugin name; use lower case letters, digits and dashes`,
      "new",
    );
  }
  const dir = resolve(host.cwd(), options.dir ?? "plugins");
  const pluginFile = join(dir, `${name}.ts`);
  const testFile = join(dir, `${name}.test.ts`);
  for (const file of [pluginFile, testFile]) {
    if (await host.kindOf(file).then((kind) => kind !== undefined, () => false)) {
      out.error(`${relative(host.cwd(), file)} already exists; choose another name or remove it`);
      return 1;
    }
  }
  const library = await packageImport(dir) ?? relativeSpecifier(dir, LIBRARY);
  try {
    await host.makeDir(dir);
    await host.writeTextFile(pluginFile, pluginTemplate(name, library));
    await host.writeTextFile(testFile, testTemplate(name, library));
  } catch (error) {
    out.error(
      `cannot write the plugin into "${relative(host.cwd(), dir) || "."}": ${(error as Error).message}`,
    );
    return 1;
  }
  const shown = (file: string) => relative(host.cwd(), file);
  if (out.json) {
    out.data({ plugin: pluginFile, test: testFile });
  } else {
    out.line(`${out.paint("green", "created")} ${shown(pluginFile)}`);
    out.line(`${out.paint("green", "created")} ${shown(testFile)}`);
    out.line();
    out.line("Next:");
    out.line(`  add "${relativeSpecifier(host.cwd(), pluginFile)}" to plugins in bernstein.config.ts`);
    out.line(`  test it: node --import tsx --test ${shown(testFile)}`);
    out.line(
      `      or:  npx deno test --allow-read --allow-env ${
        shown(testFile)
      }   (plain deno with a global Deno)`,
    );
  }
  return 0;
}

function pluginTemplate(name: string, library: string): string {
  return `/**
 * ${name}: a Bernstein plugin. It counts the tasks it sees and reports failures.
 *
 * @module
 */
import { definePlugin, v } from "${library}";

/** Options: \`prefix\` for its log lines. */
export default definePlugin({
  name: "${name}",
  version: "0.1.0",
  options: v.optional(v.object({ prefix: v.optional(v.string(), "${name}") }), {}),
  setup(options, ctx) {
    let created = 0;
    return {
      hooks: {
        onTaskCreated() {
          created++;
        },
        onTaskFailed({ task, error }) {
          ctx.logger.warn(\`\${options.prefix}: \${task.id} failed (\${created} created so far): \${error}\`);
          return \`\${task.id}: \${error}\`;
        },
      },
      shutdown() {
        ctx.logger.info(\`\${options.prefix}: saw \${created} task(s)\`);
      },
    };
  },
});
`;
}

function testTemplate(name: string, library: string): string {
  return `// Tests for ${name}, with the manager in strict mode so that any error fails the test.
// Run it with deno test or with node --import tsx --test, giving this file's path.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PluginManager, silentLogger, type Task } from "${library}";
import plugin from "./${name}.ts";

const task: Task = {
  id: "T-1",
  title: "Write the docs",
  description: "Write the plugin guide.",
  role: "docs",
  priority: 2,
  status: "failed",
  dependsOn: [],
  createdAt: 0,
  metadata: {},
};

test("${name} reports a failed task", async () => {
  const manager = new PluginManager({ onError: "throw", logger: silentLogger });
  await manager.use(plugin, { prefix: "test" });
  await manager.hook.onTaskCreated({ task });
  const results = await manager.hook.onTaskFailed({ task, error: "lint failed" });
  assert.deepEqual(results, ["T-1: lint failed"]);
  await manager.shutdown();
});
`;
}
