import { describe, expect, it } from "vitest";
import { parseArgs } from "../src/cli/args.ts";

const options = {
  config: { type: "string", short: "c" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

describe("command-line options", () => {
  it("reads flags, values in every spelling, and positionals", () => {
    expect(parseArgs(["list", "--json", "-c", "a.ts"], options, true)).toEqual({
      values: { json: true, config: "a.ts" },
      positionals: ["list"],
    });
    expect(parseArgs(["--config=b.ts", "-h"], options, false).values).toEqual({ config: "b.ts", help: true });
    expect(parseArgs(["-cc.ts"], options, false).values).toEqual({ config: "c.ts" });
    expect(parseArgs(["-hc", "x.ts"], options, false).values).toEqual({ help: true, config: "x.ts" });
    expect(parseArgs(["-hcx.ts"], options, false).values).toEqual({ help: true, config: "x.ts" });
    expect(parseArgs(["--config", "-"], options, false).values).toEqual({ config: "-" });
    expect(parseArgs(["x", "--", "--json", "-h"], options, true)).toEqual({
      values: {},
      positionals: ["x", "--json", "-h"],
    });
  });

  it("refuses what it does not know, naming it", () => {
    expect(() => parseArgs(["--confg", "x"], options, false)).toThrow(
      'unknown option "--confg"; did you mean "--config"?',
    );
    expect(() => parseArgs(["--evnts", "x"], options, false)).toThrow(/^unknown option "--evnts"$/);
    expect(() => parseArgs(["-x"], options, false)).toThrow('unknown option "-x"');
    expect(() => parseArgs(["-hx"], options, false)).toThrow('unknown option "-x"');
    expect(() => parseArgs(["stray"], options, false)).toThrow('unexpected argument "stray"');
    expect(() => parseArgs(["--config"], options, false)).toThrow(
      'option "-c, --config" needs a value',
    );
    expect(() => parseArgs(["--config", "--json"], options, false)).toThrow(
      'option "-c, --config" is followed by "--json", which looks like an option; write "--config=--json" to give it as the value',
    );
    expect(() => parseArgs(["--json=yes"], options, false)).toThrow(
      'option "--json" takes no value',
    );
    expect(() => parseArgs(["--toString"], options, false)).toThrow('unknown option "--toString"');
  });
});
