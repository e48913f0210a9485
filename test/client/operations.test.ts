import { describe, expect, it } from "vitest";
import type { CceUpgradeClient } from "../../src/client/index.js";
import { clientOf, emulatorsClosedAfterEach } from "../support/client-emulators.js";
import { CLUSTER, OLD_CLUSTER } from "../support/fixtures.js";

const FROM = "v1.28.15-r30";
const TARGET = "v1.29.15-r50";
const POLL = { timeout: 10_000, interval: 50 };

async function backupPhase(client: CceUpgradeClient, uid: string): Promise<string | undefined> {
  const list = await client.listClusterMasterSnapshotTasks({ cluster_id: CLUSTER });
  return list.items.find((item) => item.metadata.uid === uid)?.status.phase;
}

/** The methods around an upgrade, each against the emulator, with the fields a caller would read. */
describe("CceUpgradeClient operations", () => {
  const start = emulatorsClosedAfterEach();

  it("runs a pre-check to Success, shows it and lists it", async () => {
    const client = clientOf(await start());
    const created = await client.createPreCheck({
      cluster_id: CLUSTER,
      body: { apiVersion: "v3", kind: "PreCheckTask", spec: { clusterVersion: FROM, targetVersion: "v1.29" } },
    });
    expect(created).toMatchObject({ kind: "PreCheckTask", spec: { targetVersion: TARGET }, status: { phase: "Init" } });
    const request = { cluster_id: CLUSTER, task_id: created.metadata.uid };
    await expect.poll(async () => (await client.showPreCheck(request)).status.phase, POLL).toBe("Success");
    const check = await client.showPreCheck(request);
    expect(check.status.clusterCheckStatus.itemsStatus.map((item) => item.name)).toContain("UpgradePath");
    expect(check.status.expireTimeStamp).toMatch(/ UTC$/);
    const list = await client.listPreCheckTasks({ cluster_id: CLUSTER });
    expect(list.items.map((item) => [item.metadata.uid, item.status.phase])).toEqual([
      [created.metadata.uid, "Success"],
    ]);
  });

  it("backs up the control plane and finds the backup in the list, Success with its time", async () => {
    const client = clientOf(await start());
    const created = await client.createClusterMasterSnapshot({ cluster_id: CLUSTER });
    expect(created.metadata).toEqual({ apiVersion: "v3.1", kind: "SnapshotTask" });
    await expect.poll(() => backupPhase(client, created.uid), POLL).toBe("Success");
    const list = await client.listClusterMasterSnapshotTasks({ cluster_id: CLUSTER });
    expect(list.status.latestBackupTime).toMatch(/ UTC$/);
    expect(list.items[0]?.spec.items).toMatchObject([{ type: "master-backup", status: "Success" }]);
  });

  it("reads a cluster's upgrade information, the upgrade paths and the feature gates", async () => {
    const client = clientOf(await start());
    const info = await client.showClusterUpgradeInfo({ cluster_id: CLUSTER });
    expect(info.metadata).toMatchObject({ uid: CLUSTER, name: "prod-a" });
    expect(info.spec.versionInfo).toMatchObject({ release: "v1.28.15", patch: "r30" });
    expect(info.spec.versionInfo.targetVersions).toContain(TARGET);
    expect(info.spec.lastUpgradeInfo).toEqual({});

    const paths = await client.listClusterUpgradePaths();
    // Paths are keyed by minor version and platform version; prod-a runs v1.28 on cce.10.0.
    const fromProdA = paths.upgradePaths.find(
      (path) => path.version === "v1.28" && path.platformVersion === "cce.10.0",
    );
    expect(fromProdA?.targetVersions).toContain(TARGET);
    expect(fromProdA?.targetVersions).not.toContain(FROM);
    const gates = await client.listClusterUpgradeFeatureGates();
    expect(gates.upgradeFeatureGates).toMatchObject({
      DisplayPreCheckDetail: "Support",
      LabelForSkippedNode: "Disable",
    });
  });

  it("creates a workflow with its versions resolved, lists it, shows it and cancels it", async () => {
    const client = clientOf(await start());
    const created = await client.createUpgradeWorkFlow({
      cluster_id: CLUSTER,
      body: { kind: "WorkFlowTask", apiVersion: "v3", spec: { clusterVersion: "", targetVersion: "v1.29" } },
    });
    expect(created.spec).toEqual({ clusterID: CLUSTER, clusterVersion: FROM, targetVersion: TARGET });
    expect(created.status.pointStatuses.map((point) => point.taskType)).toEqual(["PreCheck", "Cluster", "PostCheck"]);
    const request = { cluster_id: CLUSTER, upgrade_workflow_id: created.metadata.uid };

    const list = await client.listUpgradeWorkFlows({ cluster_id: CLUSTER });
    expect(list.items.map((item) => item.metadata.uid)).toEqual([created.metadata.uid]);
    expect((await client.showUpgradeWorkFlow(request)).status.phase).toBe("Init");
    const cancelled = await client.upgradeWorkFlowUpdate({ ...request, body: { status: { phase: "Cancel" } } });
    expect(cancelled.status.phase).toBe("Cancel");
    expect((await client.showUpgradeWorkFlow(request)).status.phase).toBe("Cancel");
  });

  it("lists clusters with a query filter and shows one", async () => {
    const client = clientOf(await start());
    const all = await client.listClusters();
    expect(all.items.map((cluster) => cluster.metadata.name).sort()).toEqual(["legacy", "prod-a"]);
    const filtered = await client.listClusters({ version: FROM });
    expect(filtered.items.map((cluster) => cluster.metadata.uid)).toEqual([CLUSTER]);
    const shown = await client.showCluster({ cluster_id: OLD_CLUSTER, detail: "true" });
    expect(shown).toMatchObject({ metadata: { uid: OLD_CLUSTER, name: "legacy" }, spec: { version: "v1.19.16-r4" } });
    expect(shown.status.phase).toBe("Available");
  });

  it("adds, lists and deletes a fault", async () => {
    const client = clientOf(await start());
    const fault = await client.createFault({
      cluster_id: CLUSTER,
      body: { step: "addon", target: "coredns", times: 2, error: "AddonTimeout", mode: "stall", stallSeconds: 5 },
    });
    expect(fault).toMatchObject({ target: "coredns", remaining: 2, mode: "stall", stallSeconds: 5, retryable: false });
    expect((await client.listFaults({ cluster_id: CLUSTER })).items).toEqual([fault]);
    await expect(client.deleteFault({ cluster_id: CLUSTER, fault_id: fault.id })).resolves.toBeUndefined();
    expect((await client.listFaults({ cluster_id: CLUSTER })).items).toEqual([]);
  });

  it("shows and sets a cluster's driver, and lists its pools and nodes", async () => {
    const client = clientOf(await start());
    expect(await client.showClusterDriver({ cluster_id: CLUSTER })).toEqual({ type: "simulator" });
    const set = await client.updateClusterDriver({ cluster_id: CLUSTER, body: { type: "simulator" } });
    expect(set).toEqual({ type: "simulator" });

    const nodes = await client.listClusterNodes({ cluster_id: CLUSTER });
    expect(nodes.pools).toEqual([
      { id: "DefaultPool", name: "DefaultPool", nodeCount: 3 },
      { id: "pool-b", name: "b", nodeCount: 2 },
    ]);
    expect(nodes.items.filter((node) => node.pool === "pool-b").map((node) => node.name)).toEqual([
      "prod-a-b-1",
      "prod-a-b-2",
    ]);
    expect(new Set(nodes.items.map((node) => node.version))).toEqual(new Set([FROM]));
  });

  it("exports the project's state, resets the project to its seed, and restores the export", async () => {
    const client = clientOf(await start());
    await client.createFault({ cluster_id: CLUSTER, body: { step: "node", times: 1, error: "Boom" } });
    const exported = await client.showProjectState();
    expect(exported).toMatchObject({ kind: "ProjectState", version: 2 });
    expect(exported.clusters.find((cluster) => cluster.id === CLUSTER)?.faults).toHaveLength(1);

    const reset = await client.resetProject();
    expect(reset.removed.faults).toBe(1);
    expect(reset.restored.faults).toBe(0);
    expect((await client.listFaults({ cluster_id: CLUSTER })).items).toEqual([]);

    const restored = await client.restoreProjectState({ body: exported });
    expect(restored.restored.faults).toBe(1);
    expect(await client.showProjectState()).toEqual(exported);
  });
});
