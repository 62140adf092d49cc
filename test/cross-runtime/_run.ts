// Runs test/fixtures/scripts/report.ts under real Node (through tsx) or real Deno,
// in a project folder, and parses what it prints.
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runToEnd } from "./_spawn.ts";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const REPORT = join(ROOT, "test", "fixtures", "scripts", "report.ts");
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

/** What report.ts prints. */
export interface Report {
  loaded?: { name: string; specifier: string; version?: string }[];
  errors?: string[];
  results?: unknown[];
  fatal?: string;
  /** Set when the process ended without a report (Deno ends the process on a lock mismatch). */
  crash?: { code: number | null; stderr: string };
}

/** Options of {@linkcode runReport}. */
export interface RunOptions {
  /** The project folder (cwd; the config is found there). */
  dir: string;
  /** Variables such as JSR_URL. */
  env?: Record<string, string>;
  /** Run Deno with --frozen. */
  frozen?: boolean;
  /** Deno's cache folder; default `<dir>/.deno-dir`. */
  denoDir?: string;
}

/** The runtimes every cross-runtime scenario runs on. */
export const RUNTIMES = ["node", "deno"] as const;

/**
 * Runs the report script and returns its JSON output.
 *
 * @param runtime `"node"` or `"deno"`.
 * @param options Project folder, environment, Deno flags.
 */
export function runReport(runtime: "node" | "deno", options: RunOptions): Promise<Report> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...options.env };
  const [command, args] = runtime === "node" ? ["node", [TSX, REPORT]] : [DENO, [
    "run",
    "-q",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net=127.0.0.1",
    "--allow-import=127.0.0.1",
    `--lock=${join(options.dir, "deno.lock")}`,
    ...(options.frozen ? ["--frozen"] : []),
    REPORT,
  ]];
  if (runtime === "deno") env.DENO_DIR = options.denoDir ?? join(options.dir, ".deno-dir");
  return runToEnd(command, args, { cwd: options.dir, env }).then(({ code, stdout, stderr }) => {
    const line = stdout.trim().split("\n").at(-1) ?? "";
    try {
      return JSON.parse(line);
    } catch {
      if (code === 0) throw new Error(`${runtime} printed no report:\n${stdout}\n${stderr}`);
      return { crash: { code, stderr } };
    }
  });
}
