import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NODE_VERSION_ANNOTATION } from "../../src/api/node-documents.js";
import { DIALECTS } from "../support/databases.js";
import { AK, PROJECT, SK, upgradeBody } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

// The core SDK writes ~/.huaweicloud/application_id on first use: keep it out of the real home.
process.env.HOME = mkdtempSync(join(tmpdir(), "cce-sdk-home-"));
const require = createRequire(import.meta.url);
const core = require("@huaweicloud/huaweicloud-sdk-core");
const cce = require("@huaweicloud/huaweicloud-sdk-cce");

type Sdk = ReturnType<typeof sdkClient>;
/** An SDK response, read as loosely as a test reads it. */
type Json = ReturnType<typeof JSON.parse>;

function sdkClient(endpoint: string) {
  const credentials = new core.BasicCredentials().withAk(AK).withSk(SK).withProjectId(PROJECT);
  return cce.CceClient.newBuilder().withCredential(credentials).withEndpoint(endpoint).build();
}

/** Polls until `done` holds for what `read` answers; fails with the last answer at the deadline. */
async function until(read: () => Promise<Json>, done: (value: Json) => boolean, timeoutMs = 20_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`not there in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}

async function sdkError(call: Promise<unknown>): Promise<{ httpStatusCode: number; errorCode?: string }> {
  try {
    await call;
  } catch (error) {
    return error as { httpStatusCode: number; errorCode?: string };
  }
  throw new Error("the SDK call succeeded");
}

function clusterBody(name: string, version: string) {
  return new cce.Cluster()
    .withKind("Cluster")
    .withApiVersion("v3")
    .withMetadata(new cce.ClusterMetadata().withName(name))
    .withSpec(
      new cce.ClusterSpec()
        .withType("VirtualMachine")
        .withFlavor("cce.s2.small")
        .withVersion(version)
        .withDescription("made by the SDK")
        .withHostNetwork(new cce.HostNetwork().withVpc("vpc-0001").withSubnet("subnet-0001"))
        .withContainerNetwork(new cce.ContainerNetwork().withMode("overlay_l2").withCidr("172.16.0.0/16"))
        .withKubernetesSvcIpRange("10.247.0.0/16"),
    );
}

function nodePoolBody(name: string, count: number) {
  const template = new cce.NodeSpec()
    .withFlavor("c7.large.2")
    .withAz("cn-north-4a")
    .withOs("EulerOS 2.9")
    .withLogin(new cce.Login().withSshKey("my-key"))
    .withRootVolume(new cce.Volume().withSize(50).withVolumetype("SAS"))
    .withDataVolumes([new cce.Volume().withSize(100).withVolumetype("SAS")]);
  return new cce.NodePool()
    .withKind("NodePool")
    .withApiVersion("v3")
    .withMetadata(new cce.NodePoolMetadata().withName(name))
    .withSpec(new cce.NodePoolSpec().withType("vm").withNodeTemplate(template).withInitialNodeCount(count));
}

const jobPhase = async (sdk: Sdk, jobId: string) =>
  (await sdk.showJob(new cce.ShowJobRequest().withJobId(jobId))).status.phase as string;

describe.each(DIALECTS)("a cluster's whole life through the official SDK on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>> | undefined;
  afterEach(async () => system?.close());

  it("creates, fills, upgrades, scales and deletes a cluster, each step seen through the SDK", async () => {
    system = await testSystem(dialect, { speed: 200 });
    const sdk = sdkClient(await system.app.listen({ port: 0, host: "127.0.0.1" }));

    // 1. createCluster, then showJob until it succeeds, then showCluster shows Available.
    const created = await sdk.createCluster(new cce.CreateClusterRequest().withBody(clusterBody("life-1", "v1.28")));
    expect(created.httpStatusCode).toBe(201);
    expect(created.status.phase).toBe("Creating");
    expect(created.spec.version).toBe("v1.28.15-r90");
    const clusterId: string = created.metadata.uid;
    const createJob: string = created.status.jobID;
    expect(await jobPhase(sdk, createJob)).toMatch(/^(Initializing|Running)$/);
    await until(
      () => jobPhase(sdk, createJob),
      (phase) => phase === "Success",
    );
    const shown = await sdk.showCluster(new cce.ShowClusterRequest().withClusterId(clusterId));
    expect(shown.status.phase).toBe("Available");
    expect(shown.spec.hostNetwork).toMatchObject({ vpc: "vpc-0001", subnet: "subnet-0001" });

    // 2. createNodePool with 3 nodes, then listNodePools and listNodes.
    const pool = await sdk.createNodePool(
      new cce.CreateNodePoolRequest().withClusterId(clusterId).withBody(nodePoolBody("workers", 3)),
    );
    expect(pool.httpStatusCode).toBe(201);
    const poolId: string = pool.metadata.uid;
    const listPools = () => sdk.listNodePools(new cce.ListNodePoolsRequest().withClusterId(clusterId));
    const settled = await until(
      listPools,
      (list) => list.items[0]?.status.phase === "" && list.items[0]?.status.currentNode === 3,
    );
    expect(settled.items.map((p: { metadata: { uid: string } }) => p.metadata.uid)).toEqual([poolId]);
    const listNodes = () => sdk.listNodes(new cce.ListNodesRequest().withClusterId(clusterId));
    const nodes = (await listNodes()).items;
    expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      expect(node.status.phase).toBe("Active");
      expect(node.spec.flavor).toBe("c7.large.2");
      expect(node.status.privateIP).toMatch(/^192\.168\.\d+\.\d+$/);
      expect(node.metadata.annotations[NODE_VERSION_ANNOTATION]).toBe("v1.28.15-r90");
    }

    // 3. An upgrade through the upgrade API, after which listNodes shows the new version.
    const upgrade = await system.call(
      "POST",
      `/api/v3/projects/${PROJECT}/clusters/${clusterId}/operation/upgrade`,
      upgradeBody("v1.29.15-r50"),
    );
    expect(upgrade.status).toBe(200);
    await system.waitForTask(clusterId, upgrade.body.uid, (task) => task.status.phase === "Success", 30_000);
    const upgraded = (await listNodes()).items;
    expect(
      upgraded.map(
        (node: { metadata: { annotations: Record<string, string> } }) =>
          node.metadata.annotations[NODE_VERSION_ANNOTATION],
      ),
    ).toEqual(["v1.29.15-r50", "v1.29.15-r50", "v1.29.15-r50"]);
    const afterUpgrade = await sdk.showCluster(new cce.ShowClusterRequest().withClusterId(clusterId));
    expect(afterUpgrade.spec.version).toBe("v1.29.15-r50");

    // 4. updateNodePool scales the pool to 5.
    const scaled = await sdk.updateNodePool(
      new cce.UpdateNodePoolRequest()
        .withClusterId(clusterId)
        .withNodepoolId(poolId)
        .withBody(
          new cce.NodePoolUpdate()
            .withMetadata(new cce.NodePoolMetadataUpdate().withName("workers"))
            .withSpec(new cce.NodePoolSpecUpdate().withInitialNodeCount(5)),
        ),
    );
    expect(scaled.httpStatusCode).toBe(200);
    expect(scaled.status.phase).toBe("Synchronizing");
    const five = await until(
      () => sdk.showNodePool(new cce.ShowNodePoolRequest().withClusterId(clusterId).withNodepoolId(poolId)),
      (shownPool) => shownPool.status.phase === "" && shownPool.status.currentNode === 5,
    );
    expect(five.spec.initialNodeCount).toBe(5);
    const newNodes = (await listNodes()).items;
    expect(newNodes).toHaveLength(5);
    // Nodes added after the upgrade are at the cluster's new version.
    expect(
      new Set(
        newNodes.map(
          (node: { metadata: { annotations: Record<string, string> } }) =>
            node.metadata.annotations[NODE_VERSION_ANNOTATION],
        ),
      ),
    ).toEqual(new Set(["v1.29.15-r50"]));

    // 5. deleteNodePool, deleteCluster, and finally showCluster answers 404.
    const poolGone = await sdk.deleteNodePool(
      new cce.DeleteNodePoolRequest().withClusterId(clusterId).withNodepoolId(poolId),
    );
    expect(poolGone.status.phase).toBe("Deleting");
    await until(listPools, (list) => list.items.length === 0);
    expect((await listNodes()).items).toEqual([]);
    const deleting = await sdk.deleteCluster(
      new cce.DeleteClusterRequest().withClusterId(clusterId).withDeleteEvs("true"),
    );
    expect(deleting.status.phase).toBe("Deleting");
    await until(
      () => jobPhase(sdk, deleting.status.jobID),
      (phase) => phase === "Success",
    );
    const gone = await sdkError(sdk.showCluster(new cce.ShowClusterRequest().withClusterId(clusterId)));
    expect(gone).toMatchObject({ httpStatusCode: 404, errorCode: "CCE.01404001" });
  });
});
