/**
 * Bundled plugin: posts Slack-compatible JSON (`{ text, blocks }`) to a webhook for
 * failed and completed tasks, quality gate failures and cost thresholds. Each post
 * has a request timeout and is retried with exponential backoff; when every attempt
 * fails the hook throws, so the runner records and isolates the failure (and the
 * circuit breaker counts it).
 *
 * @module
 */
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import * as v from "valibot";
import { definePlugin, type HookContext, type HookImpls, type Task } from "../mod.ts";

/** The variable read when `url` is not in the options. */
export const WEBHOOK_URL_VARIABLE = "BERNSTEIN_WEBHOOK_URL";

const EVENTS = ["onTaskFailed", "onTaskCompleted", "onQualityGateFailure", "onCostThreshold"] as const;

/** The webhook notifier. Options: `url`, `timeoutMs`, `retries`, `backoffMs`, `events`. */
export default definePlugin({
  name: "webhook-notifier",
  version: "0.1.0",
  options: v.optional(
    v.object({
      /** Where to post; default the BERNSTEIN_WEBHOOK_URL variable. */
      url: v.optional(v.pipe(v.string(), v.url("must be an http(s) URL"))),
      /** Timeout of one request, in milliseconds. */
      timeoutMs: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(600_000)), 5_000),
      /** Attempts after the first. */
      retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10)), 3),
      /** Wait before the first retry; doubled each time. */
      backoffMs: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(60_000)), 250),
      /** Which events to post; default all four. */
      events: v.optional(v.array(v.picklist(EVENTS))),
    }),
    {},
  ),
  setup(options) {
    const url = options.url ?? process.env[WEBHOOK_URL_VARIABLE];
    if (!url) throw new Error(`set options.url or the ${WEBHOOK_URL_VARIABLE} variable to the webhook's URL`);
    if (!/^https?:\/\//.test(url)) {
      throw new Error(
        `${options.url ? "options.url" : WEBHOOK_URL_VARIABLE} must be an http(s) URL, not "${url}"`,
      );
    }
    const wanted = new Set(options.events ?? EVENTS);
    // The hook's deadline covers every attempt and the waits between them.
    const budget = (options.timeoutMs + 100) * (options.retries + 1) +
      options.backoffMs * (2 ** options.retries - 1) + 1_000;

    async function post(text: string, ctx: HookContext): Promise<void> {
      const body = JSON.stringify({ text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] });
      let last = "";
      for (let attempt = 0; attempt <= options.retries; attempt++) {
        if (attempt > 0) {
          await sleep(options.backoffMs * 2 ** (attempt - 1), undefined, { signal: ctx.signal });
        }
        try {
          const response = await fetch(url!, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
            signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(options.timeoutMs)]),
          });
          await response.body?.cancel();
          if (response.ok) return;
          last = `HTTP ${response.status}`;
          if (response.status < 500 && response.status !== 429) break; // the request itself is wrong
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          last = (error as Error).name === "TimeoutError"
            ? `no answer within ${options.timeoutMs} ms`
            : (error as Error).message;
        }
      }
      throw new Error(`posting to ${redact(url!)} failed after ${options.retries + 1} attempt(s): ${last}`);
    }

    const task = (t: Pick<Task, "id" | "title">) => `*${t.id}* "${t.title}"`;
    const all: HookImpls = {
      onTaskFailed: {
        timeoutMs: budget,
        handler: ({ task: t, error }, ctx) => post(`:x: Task ${task(t)} failed: ${error}`, ctx),
      },
      onTaskCompleted: {
        timeoutMs: budget,
        handler: ({ task: t, result }, ctx) =>
          post(
            `:white_check_mark: Task ${task(t)} done: ${result.summary}` +
              (result.costUsd !== undefined ? ` ($${result.costUsd.toFixed(2)})` : ""),
            ctx,
          ),
      },
      onQualityGateFailure: {
        timeoutMs: budget,
        handler: ({ task: t, gate, output }, ctx) =>
          post(
            `:warning: Quality gate *${gate}* failed on ${task(t)}:\n\`\`\`${output.slice(0, 1500)}\`\`\``,
            ctx,
          ),
      },
      onCostThreshold: {
        timeoutMs: budget,
        handler: ({ totalUsd, thresholdUsd }, ctx) =>
          post(
            `:moneybag: Spent $${totalUsd.toFixed(2)}, over the $${thresholdUsd.toFixed(2)} threshold`,
            ctx,
          ),
      },
    };
    const hooks = Object.fromEntries(Object.entries(all).filter(([hook]) => wanted.has(hook as never)));
    return { hooks: hooks as HookImpls };
  },
});

/** Hides a webhook URL's path, which is its secret, in messages. */
function redact(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}/…`;
}
