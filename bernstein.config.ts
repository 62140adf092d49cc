// Placeholder until config-driven loading lands: `npm start` registers these
// bundled plugins directly (see src/cli/demo.ts). The loader will read this file.
export default {
  plugins: [
    "./plugins/console-reporter.ts",
    ["./plugins/audit-log.ts", { path: ".bernstein/audit.jsonl" }],
  ],
};
