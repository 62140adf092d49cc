/**
 * Command-line options, strictly: the subset of `node:util`'s `parseArgs` the CLI
 * uses (boolean and string options, short aliases, `--name=value`, positionals,
 * `--` to end options), with the same messages. Its own, because importing
 * `node:util` on Deno starts Deno's Node compatibility layer, which would double
 * the command's start-up time.
 *
 * @module
 */
import { closest } from "../_suggest.ts";

/** One option: a flag or an option with a value, and an optional one-letter alias. */
export interface OptionSpec {
  /** A flag, or an option that takes a value. */
  readonly type: "boolean" | "string";
  /** Its one-letter alias, as in `-c`. */
  readonly short?: string;
}

/** The parsed values: a boolean for each flag given, a string for each option with a value. */
export type OptionValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K]["type"] extends "string" ? string : boolean;
};

/**
 * Parses arguments against the options, refusing anything else.
 *
 * @param args The arguments after the command.
 * @param options The accepted options by long name.
 * @param allowPositionals Whether arguments other than options are accepted.
 * @returns The values and the positionals.
 * @throws {Error} Naming the unknown option, the missing value or the unexpected argument.
 */
export function parseArgs<O extends Record<string, OptionSpec>>(
  args: readonly string[],
  options: O,
  allowPositionals: boolean,
): { values: OptionValues<O>; positionals: string[] } {
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) if (spec.short) byShort.set(spec.short, name);
  const label = (name: string) => {
    const spec = options[name];
    const short = spec.short ? `-${spec.short}, ` : "";
    return `${short}--${name}`;
  };
  const positional = (arg: string) => {
    if (!allowPositionals) throw new Error(`unexpected argument "${arg}"`);
    positionals.push(arg);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      for (const rest of args.slice(i + 1)) positional(rest);
      break;
    }
    if (!(arg.startsWith("-") && arg.length > 1)) {
      positional(arg);
      continue;
    }
    let { name, inline } = readOption(arg, options, { byShort, values });
    if (options[name].type === "boolean") {
      if (inline !== undefined) throw new Error(`option "${label(name)}" takes no value`);
      values[name] = true;
      continue;
    }
    if (inline === undefined) {
      const next = args[i + 1];
      if (next === undefined) throw new Error(`option "${label(name)}" needs a value`);
      if (next.startsWith("-") && next !== "-") {
        throw new Error(
          `option "${
            label(name)
          }" is followed by "${next}", which looks like an option; write "--${name}=${next}" to give it as the value`,
        );
      }
      inline = next;
      i++;
    }
    values[name] = inline;
  }
  return { values: values as OptionValues<O>, positionals };
}

/**
 * The option an argument names, and its value when written with it (`--x=v`,
 * `-cfile.ts`). Flags grouped before it (`-hj`) are set in `state.values`.
 */
function readOption(
  arg: string,
  options: Record<string, OptionSpec>,
  state: { byShort: Map<string, string>; values: Record<string, string | boolean> },
): { name: string; inline?: string } {
  if (arg.startsWith("--")) {
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!Object.hasOwn(options, name)) {
      const suggestion = closest(name, Object.keys(options));
      throw new Error(`unknown option "--${name}"${suggestion ? `; did you mean "--${suggestion}"?` : ""}`);
    }
    return { name, inline: eq === -1 ? undefined : arg.slice(eq + 1) };
  }
  // A group of short options (-hj): flags, the last of which may take a value;
  // an option with a value takes the rest of the group (-cfile.ts) if any.
  let found: string | undefined;
  let inline: string | undefined;
  for (let at = 1; at < arg.length; at++) {
    found = state.byShort.get(arg[at]);
    if (found === undefined) throw new Error(`unknown option "-${arg[at]}"`);
    if (options[found].type === "string") {
      if (at + 1 < arg.length) inline = arg.slice(at + 1);
      break;
    }
    if (at + 1 < arg.length) state.values[found] = true;
  }
  return { name: found!, inline };
}
