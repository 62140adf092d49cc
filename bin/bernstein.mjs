#!/usr/bin/env node
// The bernstein command on Node: registers tsx's TypeScript loader, then runs the CLI.
// (On Deno: deno task bernstein ...)
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
