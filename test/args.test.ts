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
      "Unknown option '--confg'; did you mean '--config'?",
    );
    expect(() => parseArgs(["--evnts", "x"], options, false)).toThrow(/^Unknown option '--evnts'$/);
    expect(() => parseArgs(["-x"], options, false)).toThrow("Unknown option '-x'");
    expect(() => parseArgs(["-hx"], options, false)).toThrow("Unknown option '-x'");
    expect(() => parseArgs(["stray"], options, false)).toThrow("Unexpected argument 'stray'");
    expect(() => parseArgs(["--config"], options, false)).toThrow(
      "Option '-c, --config <value>' argument missing",
    );
    expect(() => parseArgs(["--config", "--json"], options, false)).toThrow(
      "Option '-c, --config <value>' argument is ambiguous; write '--config=--json'",
    );
    expect(() => parseArgs(["--json=yes"], options, false)).toThrow(
      "Option '--json' does not take an argument",
    );
    expect(() => parseArgs(["--toString"], options, false)).toThrow("Unknown option '--toString'");
  });
});
