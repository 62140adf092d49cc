import process from "node:process";
import { afterEach, describe, expect, it } from "vitest";
import webhook, { WEBHOOK_URL_VARIABLE } from "../plugins/webhook-notifier.ts";
import { makeTask, testManager } from "./_helpers.ts";
import { type ReceivedRequest, startReceiver, type TestServer } from "./_servers.ts";

let server: (TestServer & { received: ReceivedRequest[] }) | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  delete process.env[WEBHOOK_URL_VARIABLE];
});

const task = makeTask({ id: "T-7", title: "Ship it" });

describe("webhook-notifier", () => {
  it("posts Slack-compatible JSON for failed and completed tasks, gate failures and cost thresholds only", async () => {
    server = await startReceiver();
    const { manager } = testManager();
    await manager.use(webhook, { url: `${server.url}/hooks/T000/B000/secret` });
    await manager.hook.onTaskCreated({ task });
    await manager.hook.onAgentDied({ agentId: "a", reason: "r" });
    await manager.hook.onTaskFailed({ task, error: "tests failed" });
    await manager.hook.onTaskCompleted({ task, result: { summary: "merged", costUsd: 1.5 } });
    await manager.hook.onQualityGateFailure({ task, gate: "lint", output: "no-unused-vars" });
    await manager.hook.onCostThreshold({ totalUsd: 12.5, thresholdUsd: 10 });
    expect(manager.failures).toEqual([]);
    expect(server.received.map((r) => [r.method, r.path, r.contentType])).toEqual(
      Array(4).fill(["POST", "/hooks/T000/B000/secret", "application/json"]),
    );
    const texts = server.received.map((r) => JSON.parse(r.body).text);
    expect(texts).toEqual([
      ':x: Task *T-7* "Ship it" failed: tests failed',
      ':white_check_mark: Task *T-7* "Ship it" done: merged ($1.50)',
      ':warning: Quality gate *lint* failed on *T-7* "Ship it":\n```no-unused-vars```',
      ":moneybag: Spent $12.50, over the $10.00 threshold",
    ]);
    expect(JSON.parse(server.received[0].body).blocks).toEqual([
      { type: "section", text: { type: "mrkdwn", text: texts[0] } },
    ]);
  });

  it("takes the URL from BERNSTEIN_WEBHOOK_URL and posts only the chosen events", async () => {
    server = await startReceiver();
    process.env[WEBHOOK_URL_VARIABLE] = `${server.url}/from-env`;
    const { manager } = testManager();
    await manager.use(webhook, { events: ["onCostThreshold"] });
    await manager.hook.onTaskFailed({ task, error: "x" });
    await manager.hook.onCostThreshold({ totalUsd: 2, thresholdUsd: 1 });
    expect(server.received.map((r) => r.path)).toEqual(["/from-env"]);
    expect(manager.list()[0].hooks).toEqual(["onCostThreshold"]);
  });

  it("retries server errors with backoff and succeeds", async () => {
    server = await startReceiver((n) => (n < 2 ? 503 : 200));
    const { manager } = testManager();
    await manager.use(webhook, { url: `${server.url}/h`, backoffMs: 5 });
    await manager.hook.onTaskFailed({ task, error: "x" });
    expect(server.received).toHaveLength(3);
    expect(manager.failures).toEqual([]);
  });

  it("reports through the runner when every attempt fails, hiding the URL's secret path", async () => {
    server = await startReceiver(() => 500);
    const { manager, log } = testManager();
    await manager.use(webhook, { url: `${server.url}/secret-path`, retries: 2, backoffMs: 1 });
    await manager.hook.onTaskFailed({ task, error: "x" });
    expect(server.received).toHaveLength(3);
    expect(manager.failures.map((f) => `${f.plugin}:${f.hook}:${(f.error as Error).message}`)).toEqual([
      `webhook-notifier:onTaskFailed:posting to ${server.url}/… failed after 3 attempt(s): HTTP 500`,
    ]);
    expect(log.at("error").join("\n")).not.toContain("secret-path");
  });

  it("does not retry a request the server refuses as wrong", async () => {
    server = await startReceiver(() => 400);
    const { manager } = testManager();
    await manager.use(webhook, { url: `${server.url}/h`, backoffMs: 1 });
    await manager.hook.onTaskFailed({ task, error: "x" });
    expect(server.received).toHaveLength(1);
    expect((manager.failures[0].error as Error).message).toMatch(/failed after 4 attempt\(s\): HTTP 400$/);
  });

  it("gives up on a request that gets no answer within the timeout", async () => {
    server = await startReceiver(() => "hang");
    const { manager } = testManager();
    await manager.use(webhook, { url: `${server.url}/h`, timeoutMs: 30, retries: 1, backoffMs: 1 });
    await manager.hook.onTaskFailed({ task, error: "x" });
    expect(server.received).toHaveLength(2);
    expect((manager.failures[0].error as Error).message).toMatch(/: no answer within 30 ms$/);
  });

  it("refuses to start without a URL, or with a bad one", async () => {
    const { manager } = testManager();
    await expect(manager.use(webhook, {})).rejects.toThrow(
      'Cannot set up plugin "webhook-notifier": set options.url or the BERNSTEIN_WEBHOOK_URL variable to the webhook\'s URL',
    );
    await expect(manager.use(webhook, { url: "not a url" })).rejects.toThrow(
      "options.url: must be an http(s) URL",
    );
  });
});
