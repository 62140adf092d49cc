// The plugins `npm start` (bernstein run) loads. Relative paths are relative to this file.
import { defineConfig } from "./mod.ts";

export default defineConfig({
  plugins: [
    "./plugins/console-reporter.ts",
    ["./plugins/audit-log.ts", { path: ".bernstein/audit.jsonl" }],
    // From npm, after `npm install bernstein-plugin-slack` (a bare name works too):
    // ["npm:bernstein-plugin-slack@^1", { channel: "#builds" }],
    //
    // From JSR: native on Deno, through the built-in loader on Node (JSR_URL picks the registry):
    // "jsr:@acme/bernstein-metrics@^0.3",
    //
    // From any https: URL, pinned in deno.lock and, if you like, by an SRI hash:
    // { use: "https://plugins.example.com/notify.ts", integrity: "sha384-..." },
  ],
  hooks: { timeoutMs: 10_000, circuitBreaker: 5, validate: true },
  lock: { path: "deno.lock", frozen: false },
});
