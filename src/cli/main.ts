/**
 * The `bernstein` command: argv in, a call into the library, output out.
 * Exit codes: 0 ok; 1 plugin, validation or delivery errors; 2 usage errors.
 *
 * @module
 */
import { BernsteinError, ConfigError } from "../errors.ts";
import { filePath, host } from "../runtime/host.ts";
import { type OptionSpec, parseArgs } from "./args.ts";
import { UsageError } from "./usage.ts";
import { Output } from "./output.ts";
import { closest } from "../_suggest.ts";

/** The commands, for suggestions. */
const COMMANDS = ["run", "plugins", "hooks", "cache", "new", "help"];

/** `; did you mean "x"?` for the known word closest to `word`, or nothing. */
function didYouMean(word: string, known: string[]): string {
  const suggestion = closest(word, known);
  return suggestion === undefined ? "" : `; did you mean "${suggestion}"?`;
}

// Commands are imported when used, so that --help and --version load almost nothing.

const VERSION: string =
  JSON.parse(await host.readTextFile(filePath(new URL("../../package.json", import.meta.url)))).version;

const HELP: Record<string, string> = {
  main: `bernstein ${VERSION}: load Bernstein plugins and drive their hooks

Usage: bernstein <command> [options]

Commands:
  run                 load the configured plugins and deliver orchestration events
  plugins list        show each plugin: name, version, specifier, location, hooks
  plugins check       load and validate every plugin, reporting every problem
  hooks               show the hook contract (--json-schema for JSON Schema)
  cache               fetch remote plugins ahead of time and write the lockfile
  new plugin <name>   write a plugin and a test for it

Options:
  -h, --help          help for bernstein or a command
  -V, --version       print the version

Exit codes: 0 ok; 1 plugin, validation or delivery errors; 2 usage errors.
The config is bernstein.config.{ts,mts,js,mjs,json}, searched from the working directory upward.`,
  run: `Usage: bernstein run [--config FILE] [--events FILE|-] [--strict] [--frozen] [--json]

Loads the plugins and delivers events: from a JSON Lines file (or - for standard input), one
{"hook": "onTaskCreated", "args": {...}} per line, each validated against its hook; without
--events, a built-in demo orchestration that fires every hook. Ends with a per-plugin summary:
calls, errors, timeouts, p50 and max latency.

Options:
  -c, --config FILE   the config file (default: searched upward)
  -e, --events FILE   JSON Lines events; - reads standard input
      --strict        fail if any plugin fails to load
      --frozen        refuse remote modules not in the lockfile (on Deno, also pass --frozen to deno)
      --json          machine-readable summary on standard output
  -h, --help          this help

Exit code 1 when a plugin failed to load, a plugin failed or timed out, or an event line was rejected.`,
  plugins: `Usage: bernstein plugins list|check [--config FILE] [--frozen] [--json]

  list    each plugin's name, version, specifier, resolved location and hooks
  check   load and validate every configured plugin and report every problem at once

Both name the entries the config turns off with enabled: false (not loaded, not checked),
and exit with code 1 if any plugin failed to load.`,
  hooks: `Usage: bernstein hooks [--json-schema] [--json]

Shows Bernstein's hook contract: each hook's arguments, documentation and options, with its
ADR-007 name. --json-schema prints JSON Schema for each hook's arguments, generated from the
valibot schemas.`,
  cache: `Usage: bernstein cache [--config FILE] [--json]

Fetches every remote (jsr:, https:) plugin of the config and what it imports into the cache,
and records them in the lockfile, so that later runs can be frozen and offline.`,
  new: `Usage: bernstein new plugin <name> [--dir FOLDER]

Writes FOLDER/<name>.ts (default folder: plugins) and FOLDER/<name>.test.ts, a test that passes
as written: node --import tsx --test FOLDER/<name>.test.ts, or on Deno
npx deno test --allow-read --allow-env FOLDER/<name>.test.ts.`,
};

const COMMON = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
} as const satisfies Record<string, OptionSpec>;
const CONFIG = { config: { type: "string", short: "c" }, frozen: { type: "boolean" } } as const;

/**
 * Runs the CLI.
 *
 * @param argv Arguments after the program name.
 * @returns The exit code.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = new Output(argv.includes("--json"));
  try {
    return await dispatch(out, command, rest);
  } catch (error) {
    if (error instanceof UsageError) {
      out.error(error.message);
      host.write("stderr", `Run "bernstein ${error.command ? `${error.command} ` : ""}--help" for usage.\n`);
      return 2;
    }
    if (error instanceof BernsteinError) {
      out.error(error.message);
      // A --json reader gets the failure on standard output too, not an empty document.
      if (out.json) {
        out.data({
          ok: false,
          error: error.message,
          ...(error instanceof ConfigError ? { file: error.file ?? null, problems: error.problems } : {}),
        });
      }
      return 1;
    }
    throw error;
  }
}

/** Runs one command with its arguments. */
async function dispatch(out: Output, command: string | undefined, rest: string[]): Promise<number> {
  switch (command) {
    case undefined:
    case "-h":
    case "--help":
    case "help":
      out.line(HELP.main);
      return command === undefined ? 2 : 0;
    case "-V":
    case "--version":
      out.line(VERSION);
      return 0;
    default: {
      // Own keys only: "constructor" is no command.
      if (Object.hasOwn(COMMAND_RUNNERS, command)) return await COMMAND_RUNNERS[command](out, rest);
      if (command.startsWith("-")) {
        // An option where the command goes: only --help and --version are known there.
        throw new UsageError(
          `unknown option "${command}"${didYouMean(command, ["--help", "--version", "-h", "-V"])}`,
        );
      }
      throw new UsageError(`unknown command "${command}"${didYouMean(command, COMMANDS)}`);
    }
  }
}

/** Each command: its options parsed, then the command imported and run. */
const COMMAND_RUNNERS: Record<string, (out: Output, rest: string[]) => Promise<number>> = {
  async run(out, rest) {
    const { values } = parse(rest, {
      ...COMMON,
      ...CONFIG,
      events: { type: "string", short: "e" },
      strict: { type: "boolean" },
    }, { command: "run" });
    if (values.help) return help(out, "run");
    const { run } = await import("./commands/run.ts");
    return await run(out, values);
  },
  async plugins(out, rest) {
    const { values, positionals } = parse(rest, { ...COMMON, ...CONFIG }, {
      command: "plugins",
      positionals: true,
    });
    if (values.help) return help(out, "plugins");
    if (positionals[0] === "list" || positionals[0] === "check") {
      if (positionals.length > 1) {
        throw new UsageError(`unexpected argument "${positionals[1]}"`, "plugins");
      }
      const commands = await import("./commands/plugins.ts");
      return await commands[positionals[0]](out, values);
    }
    throw new UsageError(
      positionals.length === 0
        ? 'say "plugins list" or "plugins check"'
        : `unknown subcommand "${positionals.join(" ")}"${didYouMean(positionals[0], ["list", "check"])}`,
      "plugins",
    );
  },
  async hooks(out, rest) {
    const { values } = parse(rest, { ...COMMON, "json-schema": { type: "boolean" } }, { command: "hooks" });
    if (values.help) return help(out, "hooks");
    const { hooks } = await import("./commands/hooks.ts");
    return hooks(out, { jsonSchema: values["json-schema"] });
  },
  async cache(out, rest) {
    const { values } = parse(rest, { ...COMMON, config: CONFIG.config }, { command: "cache" });
    if (values.help) return help(out, "cache");
    const { cache } = await import("./commands/cache.ts");
    return await cache(out, values);
  },
  async new(out, rest) {
    const { values, positionals } = parse(rest, { ...COMMON, dir: { type: "string" } }, {
      command: "new",
      positionals: true,
    });
    if (values.help) return help(out, "new");
    if (positionals[0] !== "plugin" || positionals.length > 2) {
      throw new UsageError(`write: bernstein new plugin <name>`, "new");
    }
    const { newPlugin } = await import("./commands/new.ts");
    return await newPlugin(out, positionals[1], values);
  },
};

/** Parses a command's arguments; a mistake is a usage error of that command. */
function parse<O extends Record<string, OptionSpec>>(
  args: string[],
  options: O,
  { command, positionals = false }: { command: string; positionals?: boolean },
) {
  try {
    return parseArgs(args, options, positionals);
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

function help(out: Output, command: string): number {
  out.line(HELP[command]);
  return 0;
}

// A closed pipe (bernstein hooks | head) ends the output, not the process with a stack trace.
host.endOnBrokenPipe();
host.setExitCode(await main(host.args()));
