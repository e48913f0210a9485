import { afterEach, describe, expect, it } from "vitest";
import type { CheckTaskRunner } from "../src/engine/check-runner.js";
import { startCheckRunner } from "./support/check-runner.js";
import { DIALECTS } from "./support/databases.js";
import { CLUSTER, PROJECT, TOKEN } from "./support/fixtures.js";
import { testSystem } from "./support/system.js";

/** golangsdk's accepted status codes per method (real-clients.md §A.4). */
const OK_CODES: Record<string, number[]> = { GET: [200], POST: [200, 201, 202], PUT: [200], DELETE: [200] };
const POLL_MS = 20;
const DEADLINE_MS = 20_000;
/** A decoded response body, read as loosely as the provider's gjson/JMESPath reads it. */
type Json = ReturnType<typeof JSON.parse>;

/** terraform-provider-huaweicloud's transport: JSON written by Go's encoder (trailing newline), no body → no type. */
function terraformClient(endpoint: string) {
  return async (
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json }> => {
    const response = await fetch(`${endpoint}${path}`, {
      method,
      headers: {
        Accept: "application/json",
        "User-Agent": "terraform-provider-huaweicloud golangsdk/2.0.0",
        "X-Auth-Token": TOKEN,
        ...(body !== undefined && { "Content-Type": "application/json" }),
      },
      ...(body !== undefined && { body: `${JSON.stringify(body)}\n` }),
    });
    const text = await response.text();
    if (!OK_CODES[method]?.includes(response.status)) {
      throw Object.assign(new Error(`${method} ${path}: ${response.status} ${text}`), { status: response.status });
    }
    return { status: response.status, json: JSON.parse(text) };
  };
}

/** `resource.StateChangeConf`: refresh until a target state, fail on an error state or at the deadline. */
async function waitForState(refresh: () => Promise<string>, target: string): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    const state = await refresh();
    seen.push(state);
    if (state === target) return seen;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`timeout waiting for ${target}; saw ${seen.join(",")}`);
}

describe.each(DIALECTS)("the terraform huaweicloud_cce_cluster_upgrade sequence on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  let runner: CheckTaskRunner;
  afterEach(async () => {
    await runner?.stop();
    await system?.close();
  });

  it("waits, creates a workflow, pre-checks, backs up, upgrades, post-checks, and the cluster ends at the target", async () => {
    system = await testSystem(dialect, { speed: 200 });
    runner = startCheckRunner(system.store, { speed: 200 });
    const endpoint = await system.app.listen({ port: 0, host: "127.0.0.1" });
    const call = terraformClient(endpoint);
    const project = `/api/v3/projects/${PROJECT}`;
    const cluster = `${project}/clusters/${CLUSTER}`;

    // 1. Cluster availability: Available is done, 404 counts as done, Error/Shelved/Unknow are fatal.
    const clusterState = (id: string) => async () => {
      try {
        const phase = (await call("GET", `${project}/clusters/${id}`)).json.status.phase as string;
        if (["error", "shelved", "unknow"].includes(phase.toLowerCase())) throw new Error(`cluster is ${phase}`);
        return phase === "Available" ? "COMPLETED" : "PENDING";
      } catch (error) {
        if ((error as { status?: number }).status === 404) return "COMPLETED";
        throw error;
      }
    };
    await waitForState(clusterState(CLUSTER), "COMPLETED");
    await waitForState(clusterState("00000000-0000-4000-8000-00000000dead"), "COMPLETED");

    // 2. The workflow resolves the versions every later step uses.
    const workflow = await call("POST", `${cluster}/operation/upgradeworkflows`, {
      kind: "WorkFlowTask",
      apiVersion: "v3",
      spec: { clusterID: CLUSTER, clusterVersion: "", targetVersion: "v1.29" },
    });
    const { clusterVersion, targetVersion } = workflow.json.spec;
    expect(workflow.status).toBe(201);
    expect([clusterVersion, targetVersion]).toEqual(["v1.28.15-r30", "v1.29.15-r50"]);
    const versions = { clusterID: CLUSTER, clusterVersion, targetVersion };

    // 3–4. Pre-check: Success is done, Failed/Error are fatal with status.message, anything else waits.
    const precheck = await call("POST", `${cluster}/operation/precheck`, {
      kind: "PreCheckTask",
      apiVersion: "v3",
      spec: versions,
    });
    const precheckId = precheck.json.metadata.uid as string;
    expect(precheckId).toBeTruthy();
    await waitForState(async () => {
      const { status } = (await call("GET", `${cluster}/operation/precheck/tasks/${precheckId}`)).json;
      if (status.phase === "Failed" || status.phase === "Error") throw new Error(status.message);
      return status.phase ?? "";
    }, "Success");

    // 5–6. Backup: a bodyless POST to v3.1, then the list filtered by metadata.uid.
    const snapshotPath = `/api/v3.1/projects/${PROJECT}/clusters/${CLUSTER}/operation/snapshot`;
    const snapshotId = (await call("POST", snapshotPath)).json.uid as string;
    expect(snapshotId).toBeTruthy();
    await waitForState(async () => {
      const items = (await call("GET", `${snapshotPath}/tasks`)).json.items as {
        metadata: { uid: string };
        status: { phase: string };
      }[];
      const phase = items.filter((item) => item.metadata.uid === snapshotId)[0]?.status.phase ?? "";
      if (phase === "Failed") throw new Error("unexpected state 'Failed'");
      return phase;
    }, "Success");

    // 7–8. The upgrade with the resolved target; nodePoolOrder is always sent, nil fields removed.
    const upgrade = await call("POST", `${cluster}/operation/upgrade`, {
      metadata: { kind: "UpgradeTask", apiVersion: "v3" },
      spec: {
        clusterUpgradeAction: {
          nodePoolOrder: {},
          strategy: { inPlaceRollingUpdate: { userDefinedStep: 20 }, type: "inPlaceRollingUpdate" },
          targetVersion,
        },
      },
    });
    const taskId = upgrade.json.metadata.uid as string;
    expect(taskId).toBeTruthy();
    const upgradePhases = await waitForState(async () => {
      const { phase } = (await call("GET", `${cluster}/operation/upgrade/tasks/${taskId}`)).json.status;
      if (phase === "Failed") throw new Error("unexpected state 'Failed'");
      return phase;
    }, "Success");
    expect(upgradePhases.length).toBeGreaterThan(1);

    // 9. Post-check must answer Success in the POST response itself.
    const postcheck = await call("POST", `${cluster}/operation/postcheck`, {
      kind: "PostCheckTask",
      apiVersion: "v3",
      spec: versions,
    });
    expect(postcheck.json.status.phase).toBe("Success");

    const final = (await call("GET", cluster)).json;
    expect(final.spec.version).toBe(targetVersion);
    expect(final.status.phase).toBe("Available");
    const shown = (await call("GET", `${cluster}/operation/upgradeworkflows/${workflow.json.metadata.uid}`)).json;
    expect(shown.status.phase).toBe("Success");
  });

  it("creates a cluster and a node pool, scales and deletes them as huaweicloud_cce_cluster and _node_pool do", async () => {
    system = await testSystem(dialect, { speed: 200 });
    runner = startCheckRunner(system.store, { speed: 200 });
    const call = terraformClient(await system.app.listen({ port: 0, host: "127.0.0.1" }));
    const project = `/api/v3/projects/${PROJECT}`;
    /** `clusterStateRefreshFunc` / `nodePoolStateRefreshFunc`: 404 is done, Error/Shelved/Unknow fatal. */
    const refresh = (path: string, targets: string[] | undefined) => async () => {
      try {
        const phase = (await call("GET", path)).json.status.phase as string;
        if (["error", "shelved", "unknow"].some((bad) => phase.toLowerCase().includes(bad))) throw new Error(phase);
        return targets?.includes(phase) ? "COMPLETED" : "PENDING";
      } catch (error) {
        if ((error as { status?: number }).status === 404) return "COMPLETED";
        throw error;
      }
    };

    // resourceClusterCreate: golangsdk's CreateOpts, empty fields left out, then wait for Available.
    const created = await call("POST", `${project}/clusters`, {
      kind: "Cluster",
      apiVersion: "v3",
      metadata: { name: "tf-cluster", timezone: "Asia/Shanghai" },
      spec: {
        category: "CCE",
        type: "VirtualMachine",
        flavor: "cce.s1.small",
        version: "v1.28",
        hostNetwork: { vpc: "vpc-tf", subnet: "subnet-tf" },
        containerNetwork: { mode: "vpc-router", cidr: "172.16.0.0/16" },
        authentication: { mode: "rbac", authenticatingProxy: {} },
        billingMode: 0,
        extendParam: { clusterAZ: "cn-north-4a", "alpha.cce/fixPoolMask": "25" },
        kubernetesSvcIpRange: "10.247.0.0/16",
        kubeProxyMode: "iptables",
        clusterTags: [],
        ipv6enable: false,
      },
    });
    expect(created.status).toBe(201);
    const clusterPath = `${project}/clusters/${created.json.metadata.uid}`;
    await waitForState(refresh(clusterPath, ["Available"]), "COMPLETED");

    // resourceNodePoolCreate, then wait for an empty phase; Update scales, Delete waits for 404.
    const pool = await call("POST", `${clusterPath}/nodepools`, {
      kind: "NodePool",
      apiVersion: "v3",
      metadata: { name: "tf-pool" },
      spec: {
        type: "vm",
        initialNodeCount: 2,
        autoscaling: { enable: false, minNodeCount: 0, maxNodeCount: 0, scaleDownCooldownTime: 0, priority: 0 },
        nodeManagement: { serverGroupReference: "" },
        nodeTemplate: {
          flavor: "c7.large.2",
          az: "cn-north-4a",
          os: "EulerOS 2.9",
          login: { sshKey: "tf-key" },
          rootVolume: { size: 40, volumetype: "SSD" },
          dataVolumes: [{ size: 100, volumetype: "SSD" }],
          billingMode: 0,
          k8sTags: { team: "a" },
          taints: [{ key: "dedicated", value: "a", effect: "NoSchedule" }],
          runtime: { name: "containerd" },
          extendParam: { maxPods: 110 },
        },
      },
    });
    const poolPath = `${clusterPath}/nodepools/${pool.json.metadata.uid}`;
    await waitForState(refresh(poolPath, [""]), "COMPLETED");
    const read = (await call("GET", poolPath)).json;
    expect(read.spec.nodeTemplate).toMatchObject({
      flavor: "c7.large.2",
      az: "cn-north-4a",
      login: { sshKey: "tf-key" },
    });
    expect(read.spec.nodeTemplate.k8sTags).toEqual({ team: "a", "cce.cloud.com/cce-nodepool": "tf-pool" });
    expect(read.status.currentNode).toBe(2);

    await call("PUT", poolPath, {
      metadata: { name: "tf-pool" },
      spec: {
        initialNodeCount: 4,
        autoscaling: { enable: false, minNodeCount: 0, maxNodeCount: 0, scaleDownCooldownTime: 0, priority: 0 },
        nodeTemplate: { k8sTags: { team: "b" }, taints: [], os: "EulerOS 2.9" },
      },
    });
    await waitForState(refresh(poolPath, [""]), "COMPLETED");
    expect((await call("GET", poolPath)).json.status.currentNode).toBe(4);

    await call("DELETE", poolPath);
    await waitForState(refresh(poolPath, undefined), "COMPLETED");
    await call(
      "DELETE",
      `${clusterPath}?delete_efs=false&delete_eni=block&delete_evs=false&delete_net=block&delete_obs=false&delete_sfs=false&delete_sfs30=false&lts_reclaim_policy=Delete_Master_Log_Stream`,
    );
    await waitForState(refresh(clusterPath, undefined), "COMPLETED");
    expect((await system.call("GET", clusterPath)).status).toBe(404);
  });
});
