// The cross-runtime tests spawn real Node and real Deno themselves, so they run
// once, from the Node suite; the Deno suite runs everything else in-process.
import { configDefaults, defineConfig } from "vitest/config";

const onDeno = "Deno" in globalThis;

export default defineConfig({
  test: {
    // Only the suite: plugins/ may hold node:test files that `bernstein new plugin` wrote.
    include: ["test/**/*.test.ts"],
    exclude: [...configDefaults.exclude, "test/generated/**", ...(onDeno ? ["test/cross-runtime/**"] : [])],
    testTimeout: 60_000,
  },
});
