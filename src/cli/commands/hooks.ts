/**
 * `bernstein hooks`: the hook contract, as text or as JSON Schema.
 *
 * @module
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { adrHookNames, bernsteinHookSpecs, TaskResultSchema, TaskSchema } from "../../hookspecs.ts";
import type { Output } from "../output.ts";

/** Options of `bernstein hooks`. */
export interface HooksOptions {
  /** Print JSON Schema for each hook's arguments. */
  jsonSchema?: boolean;
}

/** Prints every hook: arguments, doc, options. */
export function hooks(out: Output, options: HooksOptions): number {
  const entries = Object.entries(bernsteinHookSpecs);
  if (options.jsonSchema) {
    out.data({
      $schema: "http://json-schema.org/draft-07/schema#",
      title: "Bernstein hooks",
      hooks: Object.fromEntries(entries.map(([name, spec]) => [name, {
        description: spec.doc,
        adrName: adrHookNames[name as keyof typeof adrHookNames],
        firstResult: spec.firstResult,
        historic: spec.historic,
        ...(spec.deprecated ? { deprecated: spec.deprecated } : {}),
        arguments: strip(toJsonSchema(spec.args as v.GenericSchema, { errorMode: "ignore" })),
        ...(spec.result
          ? { result: strip(toJsonSchema(spec.result as v.GenericSchema, { errorMode: "ignore" })) }
          : {}),
      }])),
    });
    return 0;
  }
  const contract = entries.map(([name, spec]) => ({
    name,
    adrName: adrHookNames[name as keyof typeof adrHookNames],
    arguments: describeArgs(spec.args),
    doc: spec.doc,
    options: [
      spec.firstResult && "firstResult",
      spec.historic && "historic",
      spec.deprecated && `deprecated: ${spec.deprecated}`,
      spec.timeoutMs && `timeout ${spec.timeoutMs} ms`,
    ].filter(Boolean) as string[],
  }));
  if (out.json) {
    out.data({ hooks: contract });
    return 0;
  }
  for (const hook of contract) {
    out.line(
      `${out.paint("bold", hook.name)}(${hook.arguments})  ${out.paint("dim", `ADR-007: ${hook.adrName}`)}`,
    );
    out.line(`  ${hook.doc}${hook.options.length > 0 ? ` [${hook.options.join(", ")}]` : ""}`);
  }
  out.line();
  out.line(
    "Task: id, title, description, role, priority (1|2|3), status, dependsOn, assignedAgent?, model?,",
  );
  out.line(
    "      createdAt (epoch ms), metadata. TaskResult: summary, costUsd?, durationMs?, filesChanged?, tokensUsed?",
  );
  return 0;
}

function describeArgs(schema: unknown): string {
  const entries = (schema as { entries?: Record<string, { type: string; expects?: string }> }).entries ?? {};
  return "{ " + Object.entries(entries).map(([key, value]) => `${key}: ${typeName(value)}`).join(", ") + " }";
}

function typeName(schema: unknown): string {
  if (schema === TaskSchema) return "Task";
  if (schema === TaskResultSchema) return "TaskResult";
  const s = schema as { type: string; pipe?: { type: string }[] };
  return s.pipe ? (s.pipe[0] as { type: string }).type : s.type;
}

function strip(schema: object): Record<string, unknown> {
  const { $schema: _, ...rest } = schema as Record<string, unknown>;
  return rest;
}
