import process from "node:process";
import { describe, expect, it } from "vitest";
import { runtime } from "../src/runtime/mod.ts";

describe("runtime", () => {
  it("reports the runtime the suite was started on", () => {
    // scripts/test.ts sets BERNSTEIN_TEST_RUNTIME for each suite, so a Deno run that
    // silently fell back to Node fails here.
    const expected = process.env.BERNSTEIN_TEST_RUNTIME;
    const info = runtime();
    if (expected) expect(info.name).toBe(expected);
    expect(info.name).toBe("Deno" in globalThis ? "deno" : "node");
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
