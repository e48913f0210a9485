import { describe, expect, it } from "vitest";
import { type AccessKeyCredential, TaskWaitTimeoutError, type UpgradeTask } from "../../src/client/index.js";
import { clientOf, emulatorsClosedAfterEach, upgradeBody } from "../support/client-emulators.js";
import { AK, CLUSTER, SK, STS_AK, STS_SK, STS_TOKEN } from "../support/fixtures.js";

const FROM = "v1.28.15-r30";
const TARGET = "v1.29.15-r50";
const QUICK_POLLS = { pollIntervalMs: 50, timeoutMs: 20_000 };

/** Every task `onProgress` was given, in order. */
function progressLog() {
  const seen: UpgradeTask[] = [];
  return { seen, onProgress: (task: UpgradeTask) => seen.push(task) };
}

function expectProgressNeverFalls(seen: readonly UpgradeTask[]): void {
  const percents = seen.map((task) => Number(task.status.progress));
  expect(percents.every(Number.isFinite)).toBe(true);
  expect(percents).toEqual(percents.toSorted((a, b) => a - b));
}

describe("CceUpgradeClient through an upgrade", () => {
  const start = emulatorsClosedAfterEach();

  it("starts an upgrade and waits for Success, reporting progress that never falls; the cluster then runs the target", async () => {
    const client = clientOf(await start());
    const started = await client.upgradeCluster({ cluster_id: CLUSTER, body: upgradeBody("v1.29") });
    const taskId = started.metadata.uid;
    expect(started.uid).toBe(taskId);
    expect(started.spec.clusterUpgradeAction).toMatchObject({ version: FROM, targetVersion: TARGET });

    const log = progressLog();
    const task = await client.waitForTask({ cluster_id: CLUSTER, task_id: taskId }, { ...QUICK_POLLS, ...log });
    expect(task).toMatchObject({ metadata: { uid: taskId }, spec: { version: FROM, targetVersion: TARGET } });
    expect(task.status).toMatchObject({ phase: "Success", progress: "100.00" });
    expect(log.seen.length).toBeGreaterThan(1);
    expect(log.seen.at(-1)).toEqual(task);
    expectProgressNeverFalls(log.seen);

    expect((await client.showUpgradeClusterTask({ cluster_id: CLUSTER, task_id: taskId })).status.phase).toBe(
      "Success",
    );
    const tasks = await client.listUpgradeClusterTasks({ cluster_id: CLUSTER });
    expect(tasks.items.map((item) => [item.metadata.uid, item.status.phase])).toEqual([[taskId, "Success"]]);
    expect((await client.showCluster({ cluster_id: CLUSTER })).spec.version).toBe(TARGET);

    const plan = await client.showUpgradeTaskPlan({ cluster_id: CLUSTER, task_id: taskId });
    expect(plan).toMatchObject({ taskId, phase: "Success", progress: "100.00", failureReason: null });
    expect(plan.steps.slice(0, 3).map((step) => step.kind)).toEqual(["precheck", "backup", "master"]);
    const nodeTargets = plan.steps.filter((step) => step.kind === "node").flatMap((step) => step.targets);
    expect(nodeTargets.map((target) => [target.toVersion, target.phase])).toEqual(Array(5).fill([TARGET, "Success"]));

    const info = await client.showClusterUpgradeInfo({ cluster_id: CLUSTER });
    expect(info.spec.lastUpgradeInfo).toMatchObject({ phase: "Success", progress: "100.00" });
    const postcheck = await client.createPostCheck({
      cluster_id: CLUSTER,
      body: { apiVersion: "v3", kind: "PostCheckTask", spec: { clusterVersion: FROM, targetVersion: TARGET } },
    });
    expect(postcheck).toMatchObject({
      spec: { clusterID: CLUSTER, targetVersion: TARGET },
      status: { phase: "Success" },
    });
  });

  const signingKeys: [string, AccessKeyCredential][] = [
    ["an access key", { ak: AK, sk: SK }],
    ["STS keys and their security token", { ak: STS_AK, sk: STS_SK, securityToken: STS_TOKEN }],
  ];
  it.each(signingKeys)("signs every request with %s, through an upgrade to Success", async (_, credential) => {
    const client = clientOf(await start(), credential);
    // A query with a space: signed as sent (%20), where URLSearchParams would have sent a `+`.
    expect((await client.listClusters({ status: "Available", version: "no such version" })).items).toEqual([]);
    const { metadata } = await client.upgradeCluster({ cluster_id: CLUSTER, body: upgradeBody(TARGET) });
    const log = progressLog();
    const task = await client.waitForTask({ cluster_id: CLUSTER, task_id: metadata.uid }, { ...QUICK_POLLS, ...log });
    expect(task.status).toMatchObject({ phase: "Success", progress: "100.00" });
    expectProgressNeverFalls(log.seen);
  });

  it("resolves with a Failed task, and a retry runs it again from the failed step to Success", async () => {
    const client = clientOf(await start());
    const fault = await client.createFault({
      cluster_id: CLUSTER,
      body: { step: "node", times: 1, error: "PodEvictionFailure", message: "pod web-0 cannot be evicted" },
    });
    expect(fault).toMatchObject({ step: "node", remaining: 1, error: "PodEvictionFailure", mode: "fail" });
    const { metadata } = await client.upgradeCluster({ cluster_id: CLUSTER, body: upgradeBody(TARGET) });
    const request = { cluster_id: CLUSTER, task_id: metadata.uid };

    expect((await client.waitForTask(request, QUICK_POLLS)).status.phase).toBe("Failed");
    const failed = await client.showUpgradeTaskPlan(request);
    expect(failed.failureReason).toContain("PodEvictionFailure");
    const failedStep = failed.steps[failed.currentStep ?? -1];
    expect(failedStep).toMatchObject({ kind: "node", phase: "Failed", error: { code: "PodEvictionFailure" } });
    expect((await client.listFaults({ cluster_id: CLUSTER })).items).toMatchObject([{ id: fault.id, remaining: 0 }]);

    expect(await client.retryUpgradeClusterTask({ cluster_id: CLUSTER })).toEqual({});
    expect((await client.waitForTask(request, QUICK_POLLS)).status.phase).toBe("Success");
    const retried = await client.showUpgradeTaskPlan(request);
    expect(retried.steps.find((step) => step.name === failedStep?.name)).toMatchObject({
      phase: "Success",
      runFromAttempt: 2,
    });
  });

  it("times out on a paused task with the last task read, and a continued one goes on to Success", async () => {
    const client = clientOf(await start());
    const { metadata } = await client.upgradeCluster({ cluster_id: CLUSTER, body: upgradeBody(TARGET) });
    const request = { cluster_id: CLUSTER, task_id: metadata.uid };
    expect(await client.pauseUpgradeClusterTask({ cluster_id: CLUSTER })).toEqual({});
    await expect
      .poll(async () => (await client.showUpgradeClusterTask(request)).status.phase, { timeout: 10_000, interval: 50 })
      .toBe("Pause");

    const log = progressLog();
    const waiting = client.waitForTask(request, { pollIntervalMs: 50, timeoutMs: 300, ...log });
    const timedOut = await waiting.catch((error: unknown) => error);
    expect(timedOut).toBeInstanceOf(TaskWaitTimeoutError);
    expect((timedOut as TaskWaitTimeoutError).lastTask).toEqual(log.seen.at(-1));
    expect((timedOut as TaskWaitTimeoutError).lastTask.status.phase).toBe("Pause");
    // It kept polling until the deadline rather than giving up at the first paused read.
    expect(log.seen.length).toBeGreaterThan(2);

    expect(await client.continueUpgradeClusterTask({ cluster_id: CLUSTER })).toEqual({});
    expect((await client.waitForTask(request, QUICK_POLLS)).status.phase).toBe("Success");
  });
});
