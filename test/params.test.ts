import { describe, expect, it } from "vitest";
import { ignoresArgument } from "../src/_params.ts";

// deno-lint-ignore no-explicit-any
type Fn = (...args: any[]) => unknown;

describe("which implementations can skip a fresh context", () => {
  const cases: [string, Fn, number, boolean][] = [
    ["no parameters", () => 1, 1, true],
    ["args only", (a: unknown) => a, 1, true],
    ["a single bare parameter", ((a: unknown) => a) as Fn, 1, true],
    ["an async function of args", async (a: unknown) => await a, 1, true],
    [
      "a method of args",
      {
        m(a: unknown) {
          return a;
        },
      }.m,
      1,
      true,
    ],
    ["args and ctx", (a: unknown, ctx: unknown) => [a, ctx], 1, false],
    ["rest parameters", (...all: unknown[]) => all, 1, false],
    ["a defaulted second parameter", (a: unknown, c: unknown = 1) => [a, c], 1, false],
    [
      "a function that reads arguments",
      function (this: unknown) {
        return arguments[1];
      },
      1,
      false,
    ],
    ["a bound function", ((a: unknown) => a).bind(null), 1, false],
    ["a wrapper of args and next", (a: unknown, next: () => unknown) => [a, next()], 2, true],
    ["a wrapper that takes ctx", (a: unknown, n: unknown, c: unknown) => [a, n, c], 2, false],
  ];
  for (const [what, fn, position, expected] of cases) {
    it(`${expected ? "shares" : "does not share"} for ${what}`, () => {
      expect(ignoresArgument(fn, position)).toBe(expected);
    });
  }
});
