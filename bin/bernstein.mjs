#!/usr/bin/env node
// The bernstein command on Node: the library's TypeScript loader, then the CLI.
// (On Deno: deno task bernstein ...)
import "./register.mjs";

await import("../src/cli/main.ts");
