#!/usr/bin/env node
// The bernstein command on Node: registers tsx's TypeScript loaders (ESM and, for
// projects whose package.json is not "type": "module", CommonJS), then runs the CLI.
// (On Deno: deno task bernstein ...)
import { register as registerCjs } from "tsx/cjs/api";
import { register } from "tsx/esm/api";

registerCjs();
register();
await import("../src/cli/main.ts");
