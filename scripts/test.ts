// The whole check, the same from Node (`npm test`) and Deno (`deno task test`):
// type-check for both runtimes, lint, format, then the behaviour suite on Node and
// on Deno. Ends with one line of totals: "tests: N passed, M failed".
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";

const root = resolve(import.meta.dirname ?? ".", "..");
const isDeno = "Deno" in globalThis;
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const node = isDeno ? "node" : process.execPath;
const deno = isDeno ? process.execPath : bin("deno");
const out = join(root, ".bernstein", "test-results");
const only = process.argv.slice(2);

interface Step {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  report?: string;
  /** Counts passed and failed tests from the step's output (which is then captured and echoed). */
  count?: (output: string) => { passed: number; failed: number } | undefined;
}

const vitest = join(root, "node_modules", "vitest", "vitest.mjs");

/** The behaviour suite on one runtime, with a JSON report to count from. */
function suite(runtime: "node" | "deno", command: string, prefix: string[]): Step {
  const report = join(out, `${runtime}.json`);
  return {
    name: `vitest on ${runtime}`,
    command,
    args: [...prefix, vitest, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
    env: { BERNSTEIN_TEST_RUNTIME: runtime },
    report,
  };
}
const steps: Step[] = [
  { name: "tsc", command: node, args: [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", root] },
  {
    name: "deno check",
    command: deno,
    args: ["check", "--quiet", "mod.ts", "src", "test", "plugins", "scripts", "bench"],
  },
  { name: "deno lint", command: deno, args: ["lint", "--quiet"] },
  { name: "deno fmt", command: deno, args: ["fmt", "--check", "--quiet"] },
  {
    // Every @example in the library's JSDoc, type-checked and run.
    name: "doc examples on deno",
    command: deno,
    args: ["test", "--doc", "--quiet", "-A", "mod.ts", "src"],
    env: { NO_COLOR: "1" },
    count: (output) => {
      // deno prints "ok | 34 passed | 0 failed" (or FAILED | ...).
      const m = /(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/.exec(output);
      return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
    },
  },
  suite("node", node, []),
  suite("deno", deno, ["run", "-A"]),
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let passed = 0;
let failed = 0;
const broken: string[] = [];
for (const step of steps) {
  if (only.length > 0 && !only.some((o) => step.name.includes(o))) continue;
  console.log(`\n== ${step.name}`);
  const run = spawnSync(step.command, step.args, {
    cwd: root,
    stdio: step.count ? ["inherit", "pipe", "pipe"] : "inherit",
    env: { ...process.env, ...step.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) console.error(`Cannot run ${step.name}: ${run.error.message}`);
  if (step.count) {
    const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
    process.stdout.write(output);
    const counted = step.count(output);
    if (counted) {
      passed += counted.passed;
      failed += counted.failed;
      console.log(`${step.name}: ${counted.passed} passed, ${counted.failed} failed`);
    } else {
      console.error(`${step.name} printed no totals; counting it as failed`);
      failed += 1;
    }
  }
  if (step.report) {
    if (existsSync(step.report)) {
      const report = JSON.parse(readFileSync(step.report, "utf8"));
      passed += report.numPassedTests;
      failed += report.numFailedTests + (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
      console.log(`${step.name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
    } else {
      console.error(`${step.name} wrote no report; counting the suite as failed`);
      failed += 1;
    }
  }
  if (run.status !== 0) broken.push(step.name);
}
// A failed check (type-check, lint, format) counts as a failure in the totals too,
// so that the closing line alone tells whether everything passed.
const failedChecks = broken.filter((name) => {
  const step = steps.find((s) => s.name === name);
  return !step?.report && !step?.count;
}).length;
if (broken.length > 0) console.error(`\nFailed steps: ${broken.join(", ")}`);
console.log(`tests: ${passed} passed, ${failed + failedChecks} failed`);
process.exit(broken.length > 0 || failed > 0 ? 1 : 0);
