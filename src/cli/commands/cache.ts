/**
 * `bernstein cache`: fetches remote plugins ahead of time and writes the lockfile.
 *
 * @module
 */
import { loadConfig } from "../../config.ts";
import { cacheRemotePlugins } from "../../loader/remote/prepare.ts";
import { host } from "../../runtime/mod.ts";
import type { Output } from "../output.ts";

/** Options of `bernstein cache`. */
export interface CacheOptions {
  /** The config file (default: searched upward). */
  config?: string;
}

/** Runs the command; returns the exit code. */
export async function cache(out: Output, options: CacheOptions): Promise<number> {
  const config = await loadConfig(options.config);
  const outcomes = await cacheRemotePlugins(config, (specifier) => out.progress(`fetching ${specifier}`));
  out.progressDone();
  const lock = config.config.lock === false ? undefined : config.config.lock?.path ?? "deno.lock";
  if (out.json) {
    out.data({ lock: lock ?? null, plugins: outcomes });
  } else {
    if (outcomes.length === 0) out.line("The config lists no remote plugins; nothing to fetch.");
    for (const o of outcomes) {
      out.line(
        o.error
          ? `${out.paint("red", "fail")}    ${o.specifier}: ${o.error}`
          : `${out.paint("green", "cached")}  ${o.specifier}`,
      );
    }
    const failed = outcomes.filter((o) => o.error).length;
    if (failed > 0) {
      out.line();
      out.line(
        `${failed} of ${outcomes.length} plugin(s) could not be cached; fix them and run bernstein cache again ` +
          `before relying on the lock offline.`,
      );
    } else if (outcomes.length > 0 && lock) {
      out.line();
      out.line(
        // A runtime that imports remote modules itself keeps its own lock.
        host.importsRemote
          ? `Deno records the modules in the lock it was given (--lock); keep that the same file as "${lock}".`
          : `Lockfile: ${lock}. Later runs can set lock.frozen (or pass --frozen) and need no network.`,
      );
    }
  }
  return outcomes.some((o) => o.error) ? 1 : 0;
}
