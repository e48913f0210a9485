import { afterEach, describe, expect, it } from "vitest";
import type { SeedFile } from "../../src/store/seed-file.js";
import { appliesPerTarget } from "../support/apply-log.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, PROJECT, testSeed } from "../support/fixtures.js";
import { manyClustersSeed, testSystem } from "../support/system.js";
import { expectCceError, GO_TIME } from "../support/wire.js";

type System = Awaited<ReturnType<typeof testSystem>>;
const FAULTS = `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/faults`;

/** Node applies the simulator logged for a task, by node name. */
async function nodeUpgrades(system: System, taskId: string): Promise<Record<string, number>> {
  const counts = await appliesPerTarget(system.store, "node", [taskId]);
  return Object.fromEntries([...counts].map(([key, n]) => [key.slice(taskId.length + 1), n]));
}

describe.each(DIALECTS)("upgrades on %s", (dialect) => {
  let system: System;
  afterEach(async () => system?.close());

  it("runs an upgrade to Success through HTTP: progress grows to 100.00, versions change, cluster Available", async () => {
    system = await testSystem(dialect, { speed: 100 });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29", {
      addons: [{ addonTemplateName: "coredns", operation: "patch", version: "1.29.4" }],
    });
    const seen = new Set<string>();
    const progress: number[] = [];
    const done = await system.waitForTask(CLUSTER, taskId, (task) => {
      seen.add(task.status.phase);
      progress.push(Number(task.status.progress));
      return task.status.phase === "Success";
    });
    expect(seen).toContain("Running");
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(done.status.progress).toBe("100.00");
    expect(done.status.completionTime).toMatch(GO_TIME);
    expect(done.spec).toEqual({ version: "v1.28.15-r30", targetVersion: "v1.29.15-r50" });

    const cluster = (await system.call("GET", system.clusterPath(CLUSTER))).body;
    expect(cluster.spec.version).toBe("v1.29.15-r50");
    expect(cluster.spec.platformVersion).toBe("cce.12.0");
    expect(cluster.status.phase).toBe("Available");
    const nodes = await system.store.db
      .selectFrom("nodes")
      .select("version")
      .where("cluster_id", "=", CLUSTER)
      .execute();
    expect(nodes.map((n) => n.version)).toEqual(Array(5).fill("v1.29.15-r50"));
    const addon = await system.store.db
      .selectFrom("addons")
      .select("version")
      .where("name", "=", "coredns")
      .where("cluster_id", "=", CLUSTER)
      .executeTakeFirst();
    expect(addon?.version).toBe("1.29.4");
    expect(Object.values(await nodeUpgrades(system, taskId))).toEqual([1, 1, 1, 1, 1]);

    const plan = await system.plan(CLUSTER, taskId);
    expect(plan.steps.map((s: { name: string }) => s.name)).toEqual([
      "precheck",
      "etcd-backup",
      "control-plane",
      "coredns",
      "nodes/batch-1",
      "nodes/batch-2",
      "nodes/batch-3",
    ]);
    expect(plan.steps.map((s: { targets: unknown[] }) => s.targets.length).slice(4)).toEqual([1, 2, 2]);
    expect(
      plan.steps.every(
        (s: { phase: string; finishedAt: string }) => s.phase === "Success" && GO_TIME.test(s.finishedAt),
      ),
    ).toBe(true);
  });

  it("pauses after the current step, holds, and continues from the next step", async () => {
    system = await testSystem(dialect, { speed: 100 });
    const stall = (await system.call("POST", FAULTS, { step: "master", times: 1, error: "Stall", mode: "stall" })).body;
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, () => false, 0).catch(() => undefined);
    await expect.poll(async () => (await system.plan(CLUSTER, taskId)).steps[2]?.phase).toBe("Running");
    expect((await system.plan(CLUSTER, taskId)).steps[2].targets[0].phase).toBe("Running");

    expect((await system.control(CLUSTER, "pause")).status).toBe(200);
    expect((await system.task(CLUSTER, taskId)).status.phase).toBe("Running");
    expect((await system.plan(CLUSTER, taskId)).pauseRequested).toBe(true);
    expect((await system.call("DELETE", `${FAULTS}/${stall.id}`)).status).toBe(204);

    const paused = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Pause");
    const plan = await system.plan(CLUSTER, taskId);
    expect(plan.steps[2].phase).toBe("Success");
    expect(plan.steps[3].phase).toBe("Init");
    expect(await system.runnableTasks()).toEqual([]);
    expect((await system.task(CLUSTER, taskId)).status).toEqual(paused.status);

    expectCceError((await system.control(CLUSTER, "pause")).response, 403, "CCE.01403003");
    expectCceError((await system.control(CLUSTER, "retry")).response, 403, "CCE.01403003");
    expect((await system.control(CLUSTER, "continue")).status).toBe(200);
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    expect(Object.values(await nodeUpgrades(system, taskId))).toEqual([1, 1, 1, 1, 1]);
  });

  it("pauses a queued task at once and runs it after continue", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    expect((await system.control(CLUSTER, "pause")).status).toBe(200);
    expect((await system.task(CLUSTER, taskId)).status.phase).toBe("Pause");
    expect(await system.runnableTasks()).toEqual([]);
    expect((await system.control(CLUSTER, "continue")).status).toBe(200);
    expect(await system.runnableTasks()).toEqual([taskId]);
    system.engine.start();
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
  });

  it("fails on an injected fault with the reason visible, and retry re-runs from the failed step", async () => {
    system = await testSystem(dialect, { speed: 400 });
    const fault = {
      step: "node",
      target: "prod-a-b-1",
      times: 2,
      error: "PodEvictionFailure",
      message: "pod x cannot be evicted",
    };
    expect((await system.call("POST", FAULTS, fault)).status).toBe(201);
    const taskId = await system.startUpgrade(CLUSTER, "v1.29", { nodePoolOrder: { "pool-b": 5 } });

    const failed = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect(failed.spec.items?.failureReason).toContain("PodEvictionFailure");
    expect(failed.spec.items?.failureReason).toContain("prod-a-b-1");
    const cluster = (await system.call("GET", system.clusterPath(CLUSTER))).body;
    expect(cluster.status.phase).toBe("Available");
    expect(cluster.spec.version).toBe("v1.28.15-r30");
    const plan = await system.plan(CLUSTER, taskId);
    expect(plan.steps.slice(0, 3).map((s: { phase: string }) => s.phase)).toEqual(["Success", "Success", "Success"]);
    expect(plan.steps[3]).toMatchObject({ phase: "Failed", error: { code: "PodEvictionFailure" } });

    expectCceError((await system.control(CLUSTER, "continue")).response, 403, "CCE.01403003");
    expect((await system.control(CLUSTER, "retry")).status).toBe(200);
    await system.waitForTask(
      CLUSTER,
      taskId,
      (t) => t.status.phase === "Failed" && t.metadata.updateTimestamp !== failed.metadata.updateTimestamp,
    );
    expect((await system.control(CLUSTER, "retry")).status).toBe(200);
    const done = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    expect(done.spec.items).toBeUndefined();

    const retried = await system.plan(CLUSTER, taskId);
    expect(retried.steps[3]).toMatchObject({ phase: "Success", attempts: 3 });
    expect(retried.steps[2].attempts).toBe(1);
    expect(Object.values(await nodeUpgrades(system, taskId))).toEqual([1, 1, 1, 1, 1]);
    expect([...(await appliesPerTarget(system.store, "master", [taskId])).values()]).toEqual([1]);
  });

  it("retries a retryable failure by itself within the attempt limit", async () => {
    system = await testSystem(dialect, { speed: 400 });
    await system.call("POST", FAULTS, { step: "addon", times: 2, error: "Timeout", retryable: true });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29", {
      addons: [{ addonTemplateName: "autoscaler", operation: "patch", version: "1.29.17" }],
    });
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    const plan = await system.plan(CLUSTER, taskId);
    expect(plan.steps.find((s: { kind: string }) => s.kind === "addon")).toMatchObject({
      phase: "Success",
      attempts: 3,
    });
  });

  it("refuses controls in the wrong phase, and without any task", async () => {
    system = await testSystem(dialect, { speed: 400 });
    expectCceError((await system.control(CLUSTER, "pause")).response, 404, "CCE.01404001");
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    for (const control of ["pause", "continue", "retry"] as const) {
      expectCceError((await system.control(CLUSTER, control)).response, 403, "CCE.01403003");
    }
  });

  it("upgrades many clusters in parallel, each node exactly once", async () => {
    system = await testSystem(dialect, { speed: 2000, seed: manyClustersSeed(12, 6), engine: { concurrency: 4 } });
    const clusters = Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const tasks = await Promise.all(clusters.map((c) => system.startUpgrade(c, "v1.29")));
    for (const [i, taskId] of tasks.entries()) {
      await system.waitForTask(clusters[i] as string, taskId, (t) => t.status.phase === "Success", 30_000);
      expect(Object.values(await nodeUpgrades(system, taskId))).toEqual([1, 1, 1, 1, 1, 1]);
    }
  });

  it("batches nodes 1, 2, 4 … up to userDefinedStep: one ramp across pools with scope Cluster, one per pool with NodePool", async () => {
    system = await testSystem(dialect, { speed: 2000, seed: rampSeed() });
    const strategy = (scope: string) => ({
      type: "inPlaceRollingUpdate",
      inPlaceRollingUpdate: { userDefinedStep: 4, scope },
    });
    const tasks = await Promise.all(
      [RAMP_CLUSTER, RAMP_POOLS].map((cluster, i) =>
        system.startUpgrade(cluster, "v1.29", {
          strategy: strategy(i === 0 ? "Cluster" : "NodePool"),
          nodePoolOrder: { b: 1 },
        }),
      ),
    );
    const batches = async (cluster: string, taskId: string) => {
      await system.waitForTask(cluster, taskId, (t) => t.status.phase === "Success");
      expect(Object.values(await nodeUpgrades(system, taskId))).toEqual(Array(14).fill(1));
      const plan = await system.plan(cluster, taskId);
      return plan.steps
        .filter((s: { kind: string }) => s.kind === "node")
        .map((s: { targets: { name: string }[] }) => s.targets.map((t) => t.name.replace(/^ramp-\w+-/, "")));
    };
    // Pool b (9 nodes) goes first by nodePoolOrder, then pool a (5 nodes); nodes by name within a pool.
    expect(await batches(RAMP_CLUSTER, tasks[0] as string)).toEqual([
      ["b-1"],
      ["b-2", "b-3"],
      ["b-4", "b-5", "b-6", "b-7"],
      ["b-8", "b-9", "a-1", "a-2"],
      ["a-3", "a-4", "a-5"],
    ]);
    expect(await batches(RAMP_POOLS, tasks[1] as string)).toEqual([
      ["b-1"],
      ["b-2", "b-3"],
      ["b-4", "b-5", "b-6", "b-7"],
      ["b-8", "b-9"],
      ["a-1"],
      ["a-2", "a-3"],
      ["a-4", "a-5"],
    ]);
  });
});

const RAMP_CLUSTER = "44444444-5555-4666-8777-888888888888";
const RAMP_POOLS = "55555555-6666-4777-8888-999999999999";

/** Two clusters with pools a (5 nodes) and b (9 nodes): enough nodes for batches of 1, 2, 4 and the cap 4. */
function rampSeed(): SeedFile {
  const seed = testSeed();
  const project = seed.projects[0] as SeedFile["projects"][number];
  const rampCluster = (id: string, name: string) => ({
    id,
    name,
    version: "v1.28.15-r30",
    nodePools: [
      { id: "a", name: "a", nodeCount: 5 },
      { id: "b", name: "b", nodeCount: 9 },
    ],
  });
  return {
    projects: [
      { ...project, clusters: [rampCluster(RAMP_CLUSTER, "ramp-cluster"), rampCluster(RAMP_POOLS, "ramp-pools")] },
    ],
  };
}
