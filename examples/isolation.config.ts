// The bundled plugins plus one that misbehaves on purpose, to watch isolation,
// timeouts and the statistics: bernstein run --config examples/isolation.config.ts
import { defineConfig } from "../mod.ts";

export default defineConfig({
  plugins: [
    "../plugins/console-reporter.ts",
    ["../plugins/audit-log.ts", { path: "../.bernstein/isolation-audit.jsonl" }],
    "./unreliable-plugin.ts",
  ],
});
