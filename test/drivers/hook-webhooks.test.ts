import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import type { HookDriverConfig } from "../../src/domain/driver-config.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, profileSeed } from "../support/fixtures.js";
import {
  gate,
  type HookReceiver,
  type ScriptedAnswer,
  startHookReceiver,
  webhookSecret,
} from "../support/hook-receiver.js";
import { testSystem } from "../support/system.js";

type System = Awaited<ReturnType<typeof testSystem>>;
const TARGET = "v1.29.15-r50";
const ADDONS = { addons: [{ addonTemplateName: "coredns", operation: "patch", version: "1.29.4" }] };
const inProgress = (retryAfterSeconds = 0.02): ScriptedAnswer => ({
  body: { status: "InProgress", retryAfterSeconds },
});

/** A system whose test cluster is on a seed profile calling a loopback receiver, with short timeouts and backoffs. */
function systemOnWebhooks(
  dialect: (typeof DIALECTS)[number],
  url: string,
  secret: string,
  timeoutSeconds = 2,
  extra: Partial<HookDriverConfig> = {},
) {
  const profile: HookDriverConfig = {
    default: { type: "webhook", url, timeoutSeconds },
    secret,
    retries: 2,
    retryBackoffSeconds: 0.01,
    pollSeconds: 0.02,
    allowPrivateNetwork: true,
    ...extra,
  };
  return testSystem(dialect, { seed: profileSeed({ receiver: profile }, "receiver") });
}

describe.each(DIALECTS)("webhook hooks on %s", (dialect) => {
  let system: System;
  let receiver: HookReceiver;
  afterEach(async () => {
    await system?.close();
    await receiver?.close();
  });

  async function start(
    intercept?: Parameters<typeof startHookReceiver>[0]["intercept"],
    timeoutSeconds?: number,
    extra?: Partial<HookDriverConfig>,
  ) {
    const secret = webhookSecret();
    receiver = await startHookReceiver({ secret, ...(intercept && { intercept }) });
    system = await systemOnWebhooks(dialect, receiver.url, secret, timeoutSeconds, extra);
  }

  it("runs a whole upgrade through signed webhook calls, one operation per target", async () => {
    await start();
    const taskId = await system.startUpgrade(CLUSTER, "v1.29", ADDONS);
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");

    expect(receiver.rejections).toEqual([]);
    expect(receiver.callsOf("observe")).toEqual([]);
    const applies = receiver.callsOf("apply");
    expect(applies.map((r) => r.step.kind)).toEqual([
      "precheck",
      "backup",
      "master",
      "addon",
      ...Array(5).fill("node"),
    ]);
    expect(applies.find((r) => r.step.kind === "addon")).toMatchObject({
      taskId,
      cluster: { id: CLUSTER, name: "prod-a" },
      step: { kind: "addon", name: "coredns", index: 3 },
      target: { name: "coredns" },
      fromVersion: "1.28.4",
      toVersion: "1.29.4",
      attempt: 1,
      idempotencyKey: `${taskId}:3:coredns:1`,
    });
    expect(applies.find((r) => r.step.kind === "node")?.target).toMatchObject({ id: expect.any(String) });
    const headers = receiver.calls[0]?.headers ?? {};
    expect(headers["idempotency-key"]).toBe(applies[0]?.idempotencyKey);
    expect(headers["webhook-id"]).toMatch(/^msg_/);
    expect(Object.values(receiver.operationsPerTarget())).toEqual(Array(9).fill(1));

    // The store mirrors what the hooks reported done.
    const nodes = await system.store.db
      .selectFrom("nodes")
      .select("version")
      .where("cluster_id", "=", CLUSTER)
      .execute();
    expect(nodes.map((n) => n.version)).toEqual(Array(5).fill(TARGET));
    const cluster = (await system.call("GET", system.clusterPath(CLUSTER))).body;
    expect(cluster.spec.version).toBe(TARGET);
  });

  it("calls again after InProgress, with the same key, until Success", async () => {
    let masterCalls = 0;
    await start((call) => {
      if (call.request.step.kind !== "master") return undefined;
      masterCalls += 1;
      return masterCalls <= 2 ? inProgress() : undefined;
    });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    const master = receiver.callsOf("apply", "master");
    expect(master).toHaveLength(3);
    expect(new Set(master.map((r) => r.idempotencyKey)).size).toBe(1);
    const plan = await system.plan(CLUSTER, taskId);
    expect(plan.steps.find((s: { kind: string }) => s.kind === "master").attempts).toBe(1);
  });

  it("fails with the hook's reason; retry makes a new key, observes first and succeeds", async () => {
    let failures = 0;
    await start((call) => {
      if (call.request.target.name !== "prod-a-b-1" || call.request.phase !== "apply" || failures > 0) return undefined;
      failures += 1;
      return { body: { status: "Failure", reason: "pod web-0 cannot be evicted", errorCode: "DrainFailed" } };
    });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29", { nodePoolOrder: { "pool-b": 5 } });
    const failed = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect(failed.spec.items?.failureReason).toBe(
      "nodes/batch-1: DrainFailed: prod-a-b-1: pod web-0 cannot be evicted",
    );
    // A hook's Failure is final unless it says retryable: the engine did not call again by itself.
    expect(receiver.calls.filter((c) => c.request.target.name === "prod-a-b-1")).toHaveLength(1);

    expect((await system.control(CLUSTER, "retry")).status).toBe(200);
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    const calls = receiver.calls.map((c) => c.request).filter((r) => r.target.name === "prod-a-b-1");
    expect(calls.map((r) => [r.phase, r.attempt, r.idempotencyKey])).toEqual([
      ["apply", 1, `${taskId}:3:prod-a-b-1:1`],
      ["observe", 2, `${taskId}:3:prod-a-b-1:2`],
      ["apply", 2, `${taskId}:3:prod-a-b-1:2`],
    ]);
  });

  it("repeats a timed-out or 5xx call with the same key, with backoff, and goes on", async () => {
    const answers: (ScriptedAnswer | "hang" | undefined)[] = ["hang", { status: 503, body: { error: "busy" } }];
    await start(async (call) => {
      if (call.request.step.kind !== "master") return undefined;
      const next = answers.shift();
      if (next === "hang") await new Promise((resolve) => setTimeout(resolve, 1_000));
      return next === "hang" ? undefined : next;
    }, 0.3);
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    const master = receiver.callsOf("apply", "master");
    expect(master).toHaveLength(3);
    expect(new Set(master.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(receiver.operationsPerTarget()["master/control-plane"]).toBe(1);
  });

  it("fails the step at its deadline when the hook stays InProgress", async () => {
    await start((call) => (call.request.step.kind === "backup" ? inProgress(0.05) : undefined), 2, {
      stepDeadlineSeconds: 0.3,
    });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    const failed = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect(failed.spec.items?.failureReason).toBe(
      "etcd-backup: HookDeadlineExceeded: the hook did not finish within 0.3 s",
    );
    expect(receiver.callsOf("apply", "backup").length).toBeGreaterThan(2);
  });

  it("pause waits for the call in flight, then holds before the next step; continue goes on", async () => {
    const release = gate();
    let held = false;
    await start(async (call) => {
      if (call.request.step.kind !== "master" || held) return undefined;
      held = true;
      await release.opened;
      return undefined;
    });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await expect.poll(() => held).toBe(true);
    expect((await system.control(CLUSTER, "pause")).status).toBe(200);
    expect((await system.task(CLUSTER, taskId)).status.phase).toBe("Running");
    release.open();

    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Pause");
    const plan = await system.plan(CLUSTER, taskId);
    expect(plan.steps[2]).toMatchObject({ kind: "master", phase: "Success" });
    expect(plan.steps[3]).toMatchObject({ phase: "Init", attempts: 0 });
    expect(await system.runnableTasks()).toEqual([]);

    expect((await system.control(CLUSTER, "continue")).status).toBe(200);
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    expect(receiver.callsOf("apply", "master")).toHaveLength(1);
    expect(Object.values(receiver.operationsPerTarget()).every((n) => n === 1)).toBe(true);
  });

  it("a drain that runs out of grace hands the call back; the next worker repeats its key once", async () => {
    const release = gate();
    await start(async (call) => {
      if (call.request.step.kind === "master" && call.request.attempt === 1) await release.opened;
      return undefined;
    });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await expect.poll(() => receiver.callsOf("apply", "master").length).toBe(1);
    await system.engine.stop(50);
    const row = await system.store.db
      .selectFrom("upgrade_tasks")
      .selectAll()
      .where("id", "=", taskId)
      .executeTakeFirst();
    expect(row).toMatchObject({ phase: "Running", lease_owner: null, failure_reason: null });

    const successor = system.newEngine();
    successor.start();
    try {
      await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    } finally {
      release.open();
      await successor.stop(0);
    }
    const master = receiver.calls.map((c) => c.request).filter((r) => r.step.kind === "master");
    expect(master.map((r) => [r.phase, r.attempt])).toEqual([
      ["apply", 1],
      ["observe", 2],
      ["apply", 2],
    ]);
    expect(new Set(master.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(Object.values(receiver.operationsPerTarget()).every((n) => n === 1)).toBe(true);
  });

  it("a receiver refuses a bad signature: the task fails with its 401; a stale timestamp is refused too", async () => {
    receiver = await startHookReceiver({ secret: webhookSecret() });
    system = await systemOnWebhooks(dialect, receiver.url, webhookSecret());
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    const failed = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect(failed.spec.items?.failureReason).toBe("precheck: HookRejected: webhook answered 401");
    expect(receiver.rejections).toEqual([expect.stringMatching(/No matching signature/)]);
    expect(receiver.calls).toEqual([]);

    // Signed with the right secret, but ten minutes ago: a replay.
    const secret = webhookSecret();
    const stale = await startHookReceiver({ secret });
    try {
      const body = JSON.stringify({ phase: "apply" });
      const sentAt = new Date(Date.now() - 600_000);
      const response = await fetch(stale.url, {
        method: "POST",
        body,
        headers: {
          "webhook-id": "msg_1",
          "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
          "webhook-signature": new Webhook(secret).sign("msg_1", sentAt, body),
        },
      });
      expect(response.status).toBe(401);
      expect(stale.rejections).toEqual(["Message timestamp too old"]);
    } finally {
      await stale.close();
    }
  });
});
