import { afterEach, describe, expect, it } from "vitest";
import type { DriverProfile } from "../../src/domain/driver-config.js";
import type { CheckTaskRunner } from "../../src/engine/check-runner.js";
import { pollUntil, startCheckRunner } from "../support/check-runner.js";
import { type FakeKubernetes, startFakeKubernetes } from "../support/fake-kubernetes.js";
import { CLUSTER, PROJECT } from "../support/fixtures.js";
import { KUBELET_FROM, KUBELET_TO, kubernetesProfile, kubernetesSeed } from "../support/kubernetes-profile.js";
import { testSystem } from "../support/system.js";

const POOL_LABEL = "cce.cloud.com/cce-nodepool";

/** Each node's PATCH requests, in the order the fake received them: the first cordons, the last uncordons. */
function patchIndexes(fake: FakeKubernetes): Map<string, number[]> {
  const byNode = new Map<string, number[]>();
  fake.requests.forEach((request, index) => {
    const match = /^\/api\/v1\/nodes\/([^/?]+)$/.exec(request.path);
    if (request.method !== "PATCH" || !match?.[1]) return;
    byNode.set(match[1], [...(byNode.get(match[1]) ?? []), index]);
  });
  return byNode;
}

const batchesOf = (plan: { steps: { kind: string; targets: { name: string }[] }[] }) =>
  plan.steps.filter((step) => step.kind === "node").map((step) => step.targets.map((target) => target.name));

describe("the kubernetes driver against the fake Kubernetes API", () => {
  let fake: FakeKubernetes;
  let system: Awaited<ReturnType<typeof testSystem>> | undefined;
  let runner: CheckTaskRunner | undefined;
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await system?.close();
    system = undefined;
    await fake?.close();
  });

  const start = async (extra: Record<string, unknown> = {}, replacementReadyMs = 0) => {
    fake = await startFakeKubernetes({ gitVersion: KUBELET_FROM, replacementReadyMs });
    profile = kubernetesProfile(fake, extra);
  };
  let profile: DriverProfile;
  const boot = async () => {
    system = await testSystem("sqlite", { seed: kubernetesSeed(profile) });
    return system;
  };
  const listNodes = async () =>
    (await (system as NonNullable<typeof system>).call("GET", `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/nodes`))
      .body;

  it("upgrades 3 pools of 9 nodes in CCE's order: the smallest pool first, the least-loaded node first, batches 1, 2, 2 …", async () => {
    await start();
    // Pool c (2 nodes), then DefaultPool (3, unlabelled), then b (4); loads are the pods a drain moves.
    const pools: [string, string | undefined, number[]][] = [
      ["b", "b", [3, 0, 2, 1]],
      ["d", undefined, [1, 2, 0]],
      ["c", "c", [2, 1]],
    ];
    for (const [prefix, pool, loads] of pools) {
      loads.forEach((load, index) => {
        const name = `${prefix}${index + 1}`;
        fake.addNode({ name, kubeletVersion: KUBELET_FROM, ...(pool && { labels: { [POOL_LABEL]: pool } }) });
        for (let pod = 0; pod < load; pod++) {
          fake.addPod({
            name: `${name}-app-${pod}`,
            nodeName: name,
            owner: { kind: "StatefulSet", name: `${name}-app` },
          });
        }
        fake.addPod({ name: `${name}-agent`, nodeName: name, owner: { kind: "DaemonSet", name: "agent" } });
      });
    }
    const { startUpgrade, waitForTask, plan } = await boot();

    const listed = await listNodes();
    expect(listed.items.map((node: { name: string }) => node.name).sort()).toEqual(
      ["b1", "b2", "b3", "b4", "c1", "c2", "d1", "d2", "d3"].sort(),
    );
    expect(
      Object.fromEntries(listed.pools.map((pool: { name: string; nodeCount: number }) => [pool.name, pool.nodeCount])),
    ).toMatchObject({ DefaultPool: 3, b: 4, c: 2 });

    const taskId = await startUpgrade(CLUSTER, "v1.29", {
      strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 2 } },
    });
    const done = await waitForTask(CLUSTER, taskId, (t) => ["Success", "Failed"].includes(t.status.phase), 60_000);
    expect(done.status.phase, done.spec.items?.failureReason).toBe("Success");

    const batches = batchesOf(await plan(CLUSTER, taskId));
    expect(batches).toEqual([["c2"], ["c1", "d3"], ["d1", "d2"], ["b2", "b4"], ["b3", "b1"]]);
    // Every node upgraded once, every batch whole before the next cordons a node.
    expect(fake.kubelet.upgrades.map((upgrade) => upgrade.node).sort()).toEqual(batches.flat().sort());
    const patches = patchIndexes(fake);
    for (let index = 1; index < batches.length; index++) {
      const lastUncordon = Math.max(...(batches[index - 1] ?? []).map((node) => patches.get(node)?.at(-1) ?? -1));
      const firstCordon = Math.min(...(batches[index] ?? []).map((node) => patches.get(node)?.[0] ?? -1));
      expect(firstCordon, `batch ${index + 1} started before batch ${index} ended`).toBeGreaterThan(lastUncordon);
    }
    for (const node of fake.nodes()) {
      expect(node).toMatchObject({ ready: true, unschedulable: false, kubeletVersion: KUBELET_TO });
      expect(patches.get(node.name)).toHaveLength(2);
    }
    // Only the pods a drain moves were evicted, each once; the DaemonSet's stayed.
    const evicted = fake.evictions.map((eviction) => `${eviction.name}:${eviction.status}`);
    expect(evicted.every((entry) => entry.endsWith(":201"))).toBe(true);
    expect(new Set(fake.evictions.map((eviction) => eviction.uid)).size).toBe(fake.evictions.length);
    expect(fake.evictions.length).toBeGreaterThanOrEqual(12);
    expect(fake.evictions.some((eviction) => eviction.name.endsWith("-agent"))).toBe(false);
    expect(fake.controlPlane.upgrades).toEqual(["v1.29.15-r50"]);
    const after = await listNodes();
    expect(new Set(after.items.map((node: { version: string }) => node.version))).toEqual(new Set(["v1.29.15-r50"]));
  }, 90_000);

  /** Nodes n1…n{count} in one pool, on the old version. */
  const addNodes = (count: number) => {
    for (let index = 1; index <= count; index++) fake.addNode({ name: `n${index}`, kubeletVersion: KUBELET_FROM });
  };
  const upgradeOneByOne = { strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 1 } } };
  const finished = (t: { status: { phase: string } }) => ["Success", "Failed"].includes(t.status.phase);

  it("waits on a PodDisruptionBudget that blocks an eviction until the evicted pod's replacement is Ready", async () => {
    await start({}, 1_500);
    addNodes(3);
    // n2 and n3 go in one batch; the budget lets one web pod be down at a time.
    for (const node of ["n2", "n3"]) {
      fake.addPod({
        name: `web-${node}`,
        nodeName: node,
        labels: { app: "web" },
        owner: { kind: "ReplicaSet", name: "web" },
      });
    }
    fake.addPdb({ name: "web", matchLabels: { app: "web" }, maxUnavailable: 1 });
    const { startUpgrade, waitForTask } = await boot();

    const taskId = await startUpgrade(CLUSTER, "v1.29", {
      strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 2 } },
    });
    const done = await waitForTask(CLUSTER, taskId, finished, 60_000);

    expect(done.status.phase, done.spec.items?.failureReason).toBe("Success");
    const log = fake.evictions.map((eviction) => `${eviction.name}:${eviction.status}`);
    const [first, ...rest] = log;
    expect(first).toMatch(/^web-n[23]:201$/);
    const other = first?.startsWith("web-n2") ? "web-n3" : "web-n2";
    expect(rest.length).toBeGreaterThanOrEqual(2);
    expect(rest).toEqual([...Array(rest.length - 1).fill(`${other}:429`), `${other}:201`]);
    // Let through only once the first replacement had been Ready: not before the fake's 1.5 s.
    const firstAt = fake.evictions[0]?.at ?? 0;
    expect(fake.evictions.at(-1)?.at).toBeGreaterThanOrEqual(firstAt + 1_500);
  }, 90_000);

  it("fails the task naming the pod and the budget when a budget never lets it go, keeps that node cordoned, and a retry resumes there", async () => {
    await start({ drain: { evictionRetrySeconds: 0.1, timeoutSeconds: 1 } });
    addNodes(3);
    const db = { labels: { app: "db" }, owner: { kind: "StatefulSet", name: "db" } } as const;
    fake.addPod({ name: "db-0", nodeName: "n1", ...db });
    fake.addPod({ name: "db-1", nodeName: "n2", ...db });
    fake.addPdb({ name: "db-quorum", matchLabels: { app: "db" }, minAvailable: 2 });
    const { startUpgrade, waitForTask, control } = await boot();

    const taskId = await startUpgrade(CLUSTER, "v1.29", upgradeOneByOne);
    const failed = await waitForTask(CLUSTER, taskId, finished, 60_000);

    expect(failed.status.phase).toBe("Failed");
    expect(failed.spec.items?.failureReason).toMatch(
      /^nodes\/batch-2: PodEvictionFailure: n1: pod default\/db-0 could not be evicted within 1 s: PodDisruptionBudget default\/db-quorum allows no disruption \(Cannot evict pod as it would violate the pod's disruption budget\./,
    );
    expect(fake.node("n1")).toMatchObject({ unschedulable: true, kubeletVersion: KUBELET_FROM });
    // n3, with nothing to evict, went first.
    expect(fake.kubelet.upgrades.map((upgrade) => upgrade.node)).toEqual(["n3"]);
    expect(fake.node("n2")?.unschedulable).toBe(false);
    expect(new Set(fake.evictions.map((eviction) => `${eviction.name}:${eviction.status}`))).toEqual(
      new Set(["db-0:429"]),
    );

    // The operator scales the database up; the budget now allows one disruption.
    fake.addPod({ name: "db-2", nodeName: "n3", ...db });
    expect((await control(CLUSTER, "retry")).status).toBe(200);
    const retried = await waitForTask(
      CLUSTER,
      taskId,
      (t) =>
        t.status.phase === "Success" ||
        (t.status.phase === "Failed" && t.spec.items?.failureReason !== failed.spec.items?.failureReason),
      60_000,
    );

    expect(retried.status.phase, retried.spec.items?.failureReason).toBe("Success");
    expect(fake.kubelet.upgrades.map((upgrade) => upgrade.node)).toEqual(["n3", "n1", "n2"]);
    expect(fake.nodes().map((node) => [node.name, node.unschedulable, node.kubeletVersion])).toEqual([
      ["n1", false, KUBELET_TO],
      ["n2", false, KUBELET_TO],
      ["n3", false, KUBELET_TO],
    ]);
  }, 90_000);

  it("fails at nodeReadyTimeoutSeconds naming what a node that never comes back reports, and leaves it cordoned", async () => {
    await start({ nodeReadyTimeoutSeconds: 1 });
    addNodes(2);
    fake.setKubeletBehaviour("n1", { neverReady: true });
    const { startUpgrade, waitForTask } = await boot();

    const taskId = await startUpgrade(CLUSTER, "v1.29", upgradeOneByOne);
    const failed = await waitForTask(CLUSTER, taskId, finished, 60_000);

    expect(failed.status.phase).toBe("Failed");
    expect(failed.spec.items?.failureReason).toBe(
      `nodes/batch-1: NodeNotReady: n1: n1 did not come back Ready at v1.29.15-r50 within 1 s: it reports ${KUBELET_FROM}, NotReady, cordoned`,
    );
    expect(fake.node("n1")).toMatchObject({ unschedulable: true, ready: false });
    expect(fake.kubelet.upgrades.map((upgrade) => upgrade.node)).toEqual(["n1"]);
    expect(fake.node("n2")).toMatchObject({ unschedulable: false, kubeletVersion: KUBELET_FROM });
  }, 90_000);

  it("refuses to drain away emptyDir data unless the profile allows it, and evicts it when it does", async () => {
    for (const deleteEmptyDirData of [false, true]) {
      await start({ drain: { evictionRetrySeconds: 0.1, timeoutSeconds: 5, deleteEmptyDirData } });
      addNodes(1);
      fake.addPod({ name: "cache-0", nodeName: "n1", emptyDir: true, owner: { kind: "StatefulSet", name: "cache" } });
      const { startUpgrade, waitForTask } = await boot();

      const done = await waitForTask(CLUSTER, await startUpgrade(CLUSTER, "v1.29"), finished, 60_000);

      if (deleteEmptyDirData) {
        expect(done.status.phase, done.spec.items?.failureReason).toBe("Success");
        expect(fake.evictions.map((eviction) => `${eviction.name}:${eviction.status}`)).toEqual(["cache-0:201"]);
      } else {
        expect(done.spec.items?.failureReason).toBe(
          "nodes/batch-1: PodEvictionFailure: n1: pod default/cache-0 on n1 has emptyDir data that a drain would delete; set drain.deleteEmptyDirData to allow it",
        );
        expect(fake.evictions).toEqual([]);
        expect(fake.node("n1")?.unschedulable).toBe(true);
        await system?.close();
        system = undefined;
        await fake.close();
      }
    }
  }, 90_000);

  it("soaks after a batch and fails the task, the next batch untouched, when a node of the batch falls NotReady meanwhile", async () => {
    await start({ soakSeconds: 1 });
    addNodes(2);
    const { startUpgrade, waitForTask } = await boot();

    const taskId = await startUpgrade(CLUSTER, "v1.29", upgradeOneByOne);
    const upgraded = () => fake.node("n1")?.kubeletVersion === KUBELET_TO && fake.node("n1")?.unschedulable === false;
    for (const end = Date.now() + 30_000; Date.now() < end && !upgraded(); )
      await new Promise((r) => setTimeout(r, 10));
    fake.setNodeReady("n1", false);
    const failed = await waitForTask(CLUSTER, taskId, finished, 30_000);

    expect(failed.spec.items?.failureReason).toBe(
      `nodes/batch-1: NodeNotReady: n1 reports ${KUBELET_TO}, NotReady after the 1 s soak`,
    );
    expect(fake.node("n2")).toMatchObject({ unschedulable: false, kubeletVersion: KUBELET_FROM });
    expect(fake.kubelet.upgrades.map((upgrade) => upgrade.node)).toEqual(["n1"]);
  }, 90_000);

  it("pauses between batches with no node cordoned, and goes on from the next batch on continue", async () => {
    await start();
    addNodes(3);
    fake.setKubeletBehaviour("n1", { untilReleased: true });
    const { startUpgrade, waitForTask, control } = await boot();

    const taskId = await startUpgrade(CLUSTER, "v1.29", upgradeOneByOne);
    await waitForTask(CLUSTER, taskId, () => fake.kubelet.upgrades.length === 1, 30_000);
    expect((await control(CLUSTER, "pause")).status).toBe(200);
    fake.kubelet.release("n1");
    const paused = await waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Pause" || finished(t), 30_000);

    expect(paused.status.phase).toBe("Pause");
    expect(fake.nodes().map((node) => [node.name, node.unschedulable, node.kubeletVersion])).toEqual([
      ["n1", false, KUBELET_TO],
      ["n2", false, KUBELET_FROM],
      ["n3", false, KUBELET_FROM],
    ]);
    expect(fake.kubelet.upgrades.map((upgrade) => upgrade.node)).toEqual(["n1"]);

    expect((await control(CLUSTER, "continue")).status).toBe(200);
    const done = await waitForTask(CLUSTER, taskId, finished, 60_000);
    expect(done.status.phase, done.spec.items?.failureReason).toBe("Success");
    expect(fake.kubelet.upgrades.map((upgrade) => upgrade.node)).toEqual(["n1", "n2", "n3"]);
  }, 90_000);

  it("pre-checks the cluster itself: nodes not Ready, budgets allowing no disruption, kubelets past the skew, deprecated APIs requested", async () => {
    await start();
    fake.addNode({ name: "n1", kubeletVersion: KUBELET_FROM });
    fake.addNode({ name: "n2", kubeletVersion: KUBELET_FROM, ready: false });
    fake.addNode({ name: "old", kubeletVersion: "v1.25.16" });
    fake.addPod({ name: "db-0", nodeName: "n1", labels: { app: "db" }, owner: { kind: "StatefulSet", name: "db" } });
    fake.addPdb({ name: "db", matchLabels: { app: "db" }, maxUnavailable: 0 });
    fake.addPdb({ namespace: "web", name: "spare", matchLabels: { app: "none" }, maxUnavailable: 1 });
    fake.setDeprecatedApis([
      { group: "flowcontrol.apiserver.k8s.io", version: "v1beta2", resource: "flowschemas", removedRelease: "1.29" },
    ]);
    const { store, call, clusterPath } = await boot();
    runner = startCheckRunner(store);

    const body = {
      kind: "PreCheckTask",
      apiVersion: "v3",
      spec: { clusterID: CLUSTER, clusterVersion: "v1.28.15-r30", targetVersion: "v1.29" },
    };
    const created = await call("POST", `${clusterPath(CLUSTER)}/operation/precheck`, body);
    expect(created.status).toBe(200);
    const check = await pollUntil(
      async () =>
        (await call("GET", `${clusterPath(CLUSTER)}/operation/precheck/tasks/${created.body.metadata.uid}`)).body,
      (task) => !["Init", "Running"].includes(task.status.phase),
    );
    type Item = { name: string; phase: string; level: string; group: string; message: string };
    const items = (list: Item[]) => Object.fromEntries(list.map((item) => [item.name, item]));
    const cluster = items(check.status.clusterCheckStatus.itemsStatus);
    expect(check.status.phase).toBe("Failed");
    expect(cluster.DisruptionBudgets).toMatchObject({
      phase: "Failed",
      level: "Warning",
      group: "NodeCheck",
      // web/spare selects no pod: it allows no disruption but holds up no drain.
      message: "PodDisruptionBudgets allowing no disruption would hold up a drain: default/db",
    });
    expect(cluster.KubeletVersionSkew).toMatchObject({
      phase: "Failed",
      level: "Fatal",
      message: "kubelets more than 3 minor versions behind v1.29.15-r50: old v1.25.16",
    });
    expect(cluster.DeprecatedAPIs).toMatchObject({
      phase: "Failed",
      level: "Warning",
      message:
        "1 API(s) removed in v1.29.15-r50 are still called: /apis/flowcontrol.apiserver.k8s.io/v1beta2/flowschemas",
    });
    const nodes = check.status.nodeCheckStatus.nodeStageStatus.map(
      (stage: { nodeInfo: { name: string; status: string }; itemsStatus: Item[] }) => [
        stage.nodeInfo.name,
        stage.nodeInfo.status,
        items(stage.itemsStatus).NodeStatus?.phase,
      ],
    );
    expect(nodes).toEqual([
      ["n1", "Active", "Success"],
      ["n2", "Abnormal", "Failed"],
      ["old", "Active", "Success"],
    ]);
  });

  it("lists the nodes the cluster has now, through ListNodes too: a node that joined in its pool, none that left", async () => {
    await start();
    addNodes(2);
    const { call, clusterPath } = await boot();
    const cceNodes = async () =>
      (await call("GET", `${clusterPath(CLUSTER)}/nodes`)).body.items
        .map((node: { metadata: { name: string; uid: string } }) => node.metadata.name)
        .sort();
    expect(await cceNodes()).toEqual(["n1", "n2"]);
    const before = (await listNodes()).items.find((node: { name: string }) => node.name === "n1");

    fake.removeNode("n2");
    fake.addNode({ name: "n3", kubeletVersion: KUBELET_FROM, labels: { "cce.cloud.com/cce-nodepool": "gpu" } });

    expect(await cceNodes()).toEqual(["n1", "n3"]);
    const listed = await listNodes();
    type Listed = { id: string; name: string; pool: string };
    const byName = new Map<string, Listed>(listed.items.map((node: Listed) => [node.name, node]));
    expect([...byName.keys()].sort()).toEqual(["n1", "n3"]);
    // n1 keeps its ID; n3 is in a pool the cluster did not have, added with it.
    expect(byName.get("n1")?.id).toBe(before.id);
    const gpu = listed.pools.find((pool: { name: string }) => pool.name === "gpu");
    expect(gpu).toMatchObject({ nodeCount: 1 });
    expect(byName.get("n3")?.pool).toBe(gpu.id);
  });

  it("fails the control plane step when /version does not report the target after controlPlaneUpgrade", async () => {
    await start({ controlPlaneUpgrade: { type: "exec", command: ["/bin/true"] }, nodeReadyTimeoutSeconds: 1 });
    addNodes(1);
    const { startUpgrade, waitForTask } = await boot();

    const failed = await waitForTask(CLUSTER, await startUpgrade(CLUSTER, "v1.29"), finished, 30_000);

    expect(failed.spec.items?.failureReason).toBe(
      `control-plane: ControlPlaneVersionMismatch: the API server reports ${KUBELET_FROM}, not v1.29.15-r50, 1 s after controlPlaneUpgrade`,
    );
    expect(fake.requests.some((request) => request.method === "PATCH")).toBe(false);
  });

  it("upgrades requested add-ons through addonUpgrade, and refuses them with a 400 when the profile has none", async () => {
    const addons = { addons: [{ addonTemplateName: "coredns", version: "1.29.4", operation: "patch" }] };
    for (const addonUpgrade of [undefined, { type: "exec", command: ["/bin/true"] }]) {
      await start(addonUpgrade ? { addonUpgrade } : {});
      addNodes(1);
      const { call, clusterPath, startUpgrade, waitForTask } = await boot();
      if (!addonUpgrade) {
        const refused = await call("POST", `${clusterPath(CLUSTER)}/operation/upgrade`, {
          ...upgradeBodyFor("v1.29"),
          spec: { clusterUpgradeAction: { ...upgradeBodyFor("v1.29").spec.clusterUpgradeAction, ...addons } },
        });
        expect(refused.status).toBe(400);
        expect(refused.body.error_msg).toContain("no addonUpgrade hook");
        await system?.close();
        system = undefined;
        await fake.close();
        continue;
      }
      const done = await waitForTask(CLUSTER, await startUpgrade(CLUSTER, "v1.29", addons), finished, 30_000);
      expect(done.status.phase, done.spec.items?.failureReason).toBe("Success");
    }
  }, 60_000);

  it("refuses an upgrade with a 400 when the profile lacks a hook the plan needs, and stores no task", async () => {
    await start({ controlPlaneUpgrade: undefined });
    addNodes(1);
    const { call, clusterPath } = await boot();

    const refused = await call("POST", `${clusterPath(CLUSTER)}/operation/upgrade`, upgradeBodyFor("v1.29"));

    expect(refused.status).toBe(400);
    expect(refused.body.error_code).toBe("CCE.01400001");
    expect(refused.body.error_msg).toContain("no controlPlaneUpgrade hook");
    expect((await call("GET", `${clusterPath(CLUSTER)}/operation/upgrade/tasks`)).body.items).toEqual([]);
  });

  it("refuses an upgrade with a 403 when the cluster's API cannot be reached, says nothing of the kubeconfig, and lists the last nodes read", async () => {
    await start();
    addNodes(2);
    const { call, clusterPath } = await boot();
    expect((await listNodes()).items.map((node: { name: string }) => node.name)).toEqual(["n1", "n2"]);
    const { kubeconfigPath, token, httpsUrl } = fake;
    await fake.close();

    const refused = await call("POST", `${clusterPath(CLUSTER)}/operation/upgrade`, upgradeBodyFor("v1.29"));

    expect(refused.status).toBe(403);
    expect(refused.body.error_code).toBe("CCE.01403003");
    for (const secret of [kubeconfigPath, token, httpsUrl, "127.0.0.1"])
      expect(refused.response.body).not.toContain(secret);
    expect((await call("GET", `${clusterPath(CLUSTER)}/operation/upgrade/tasks`)).body.items).toEqual([]);
    expect((await listNodes()).items.map((node: { name: string }) => node.name)).toEqual(["n1", "n2"]);
    const driver = await call("GET", `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/driver`);
    expect(driver.body).toEqual({
      type: "profile",
      profile: "k8s",
      available: true,
      transports: { default: "kubernetes", node: "exec", master: "exec", backup: "exec" },
    });
    fake = await startFakeKubernetes();
  });
});

const upgradeBodyFor = (targetVersion: string) => ({
  metadata: { kind: "UpgradeTask", apiVersion: "v3" },
  spec: { clusterUpgradeAction: { targetVersion, strategy: { type: "inPlaceRollingUpdate" } } },
});
