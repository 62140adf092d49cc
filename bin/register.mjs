// `node --import ./bin/register.mjs host.ts`: TypeScript for Node through the
// library's own loader (esbuild with a transpile cache; see
// src/runtime/node-typescript.mjs). The bernstein command starts with it.
import { register } from "node:module";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
register(new URL("../src/runtime/node-typescript.mjs", import.meta.url), {
  data: { cacheDir: join(root, "node_modules", ".cache", "bernstein-ts") },
});
// Stack traces then point at the TypeScript lines (the transpiled code carries inline maps).
process.setSourceMapsEnabled(true);
globalThis[Symbol.for("bernstein.typescript")] = true;
