import { afterEach, describe, expect, it } from "vitest";
import {
  type AccessKeyCredential,
  CceUpgradeClient,
  CceUpgradeClientError,
  type CreateClusterRequest,
  type CreateNodePoolRequest,
  type Job,
  JobWaitTimeoutError,
  type Node,
  type TokenCredential,
} from "../../src/client/index.js";
import { DIALECTS } from "../support/databases.js";
import { AK, CLUSTER, PROJECT, SK, TOKEN } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

const QUICK_POLLS = { pollIntervalMs: 20, timeoutMs: 20_000 };
/** The Node document's annotation naming the node's pool, as CCE sets it. */
const POOL_ANNOTATION = "kubernetes.io/node-pool.id";

/** The node's pool ID: annotations are a free-form object on the wire. */
function poolOf(node: Node): string | undefined {
  return (node.metadata.annotations as Record<string, string> | undefined)?.[POOL_ANNOTATION];
}

function clusterBody(name: string): CreateClusterRequest["body"] {
  return {
    kind: "Cluster",
    apiVersion: "v3",
    metadata: { name },
    spec: {
      flavor: "cce.s2.small",
      version: "v1.28",
      hostNetwork: { vpc: "vpc-0001", subnet: "subnet-0001" },
      containerNetwork: { mode: "overlay_l2" },
    },
  };
}

function nodePoolBody(name: string, nodes: number): CreateNodePoolRequest["body"] {
  return {
    kind: "NodePool",
    apiVersion: "v3",
    metadata: { name },
    spec: {
      initialNodeCount: nodes,
      nodeTemplate: {
        flavor: "c7.large.2",
        az: "cn-north-4a",
        login: { sshKey: "my-key" },
        rootVolume: { size: 50, volumetype: "SAS" },
        dataVolumes: [{ size: 100, volumetype: "SAS" }],
      },
    },
  };
}

/** The job phases `onProgress` was given, in order. */
function phaseLog() {
  const phases: string[] = [];
  return { phases, onProgress: (job: Job) => phases.push(job.status.phase) };
}

async function rejectionOf(call: Promise<unknown>): Promise<CceUpgradeClientError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CceUpgradeClientError);
  return error as CceUpgradeClientError;
}

describe.each(DIALECTS)("CceUpgradeClient through a cluster's life on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>> | undefined;
  afterEach(async () => {
    await system?.close();
    system = undefined;
  });

  async function clientOfSystem(
    options: { startEngine?: boolean; credential?: TokenCredential | AccessKeyCredential } = {},
  ): Promise<CceUpgradeClient> {
    system = await testSystem(dialect, { speed: 200, startEngine: options.startEngine });
    const endpoint = await system.app.listen({ port: 0, host: "127.0.0.1" });
    return new CceUpgradeClient({ endpoint, projectId: PROJECT, ...(options.credential ?? { token: TOKEN }) });
  }

  it("creates a cluster and waits for its job, adds a pool, lists its nodes and deletes the cluster", async () => {
    const client = await clientOfSystem();
    const created = await client.createCluster({ body: clusterBody("life-1") });
    expect(created).toMatchObject({ metadata: { name: "life-1" }, status: { phase: "Creating" } });
    expect(created.spec.version).toMatch(/^v1\.28\.\d+-r\d+$/);
    const clusterId = created.metadata.uid;
    const createJob = created.status.jobID ?? "";

    const log = phaseLog();
    const job = await client.waitForJob(createJob, { ...QUICK_POLLS, ...log });
    expect(job).toMatchObject({
      metadata: { uid: createJob },
      spec: { type: "CreateCluster", clusterUID: clusterId, resourceID: clusterId, resourceName: "life-1" },
      status: { phase: "Success" },
    });
    expect(job.spec.subJobs.map((sub) => sub.status.phase)).toEqual(["Success", "Success"]);
    expect(log.phases.at(-1)).toBe("Success");
    expect(log.phases.every((phase) => ["Initializing", "Running", "Success"].includes(phase))).toBe(true);
    expect((await client.showCluster({ cluster_id: clusterId })).status.phase).toBe("Available");

    const pool = await client.createNodePool({ cluster_id: clusterId, body: nodePoolBody("workers", 3) });
    expect(pool).toMatchObject({ metadata: { name: "workers" }, status: { phase: "Synchronizing", creatingNode: 3 } });
    const poolJob = await client.waitForJob(pool.status.jobId ?? "", QUICK_POLLS);
    expect(poolJob.spec).toMatchObject({ type: "CreateNodePool", resourceID: pool.metadata.uid });
    const pools = await client.listNodePools({ cluster_id: clusterId });
    expect(pools.items.map((p) => [p.metadata.uid, p.status.phase, p.status.currentNode])).toEqual([
      [pool.metadata.uid, "", 3],
    ]);

    const nodes = (await client.listNodes({ cluster_id: clusterId })).items;
    expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      expect(node.status.phase).toBe("Active");
      expect(poolOf(node)).toBe(pool.metadata.uid);
    }
    const [first] = nodes;
    const shown = await client.showNode({ cluster_id: clusterId, node_id: first?.metadata.uid ?? "" });
    expect(shown).toEqual(first);

    const deleting = await client.deleteCluster({ cluster_id: clusterId, delete_evs: "true", delete_net: "true" });
    expect(deleting.status.phase).toBe("Deleting");
    const deleteJob = await client.waitForJob(deleting.status.jobID ?? "", QUICK_POLLS);
    expect(deleteJob).toMatchObject({ spec: { type: "DeleteCluster" }, status: { phase: "Success" } });
    const gone = await rejectionOf(client.showCluster({ cluster_id: clusterId }));
    expect(gone).toMatchObject({ httpStatusCode: 404, errorCode: "CCE.01404001" });
    // The job outlives its cluster, as CCE's do.
    expect((await client.showJob({ job_id: createJob })).status.phase).toBe("Success");
  });

  it("refuses a second cluster of one name with a 409 CCE.01409001, naming the cluster", async () => {
    const client = await clientOfSystem();
    await client.createCluster({ body: clusterBody("twice") });
    const error = await rejectionOf(client.createCluster({ body: clusterBody("twice") }));
    expect(error).toMatchObject({ httpStatusCode: 409, errorCode: "CCE.01409001" });
    expect(error.errorMsg).toContain("twice");
    expect(error.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("updates a cluster, scales a pool, deletes a node and the pool, each job waited for", async () => {
    const client = await clientOfSystem();
    const created = await client.createCluster({ body: clusterBody("life-2") });
    await client.waitForJob(created.status.jobID ?? "", QUICK_POLLS);
    const clusterId = created.metadata.uid;
    const updated = await client.updateCluster({
      cluster_id: clusterId,
      body: { metadata: { alias: "life-two" }, spec: { description: "changed by the client" } },
    });
    expect(updated).toMatchObject({ metadata: { alias: "life-two" }, spec: { description: "changed by the client" } });

    const pool = await client.createNodePool({ cluster_id: clusterId, body: nodePoolBody("scaled", 1) });
    await client.waitForJob(pool.status.jobId ?? "", QUICK_POLLS);
    const request = { cluster_id: clusterId, nodepool_id: pool.metadata.uid };
    const scaling = await client.updateNodePool({
      ...request,
      body: { metadata: { name: "scaled" }, spec: { initialNodeCount: 3 } },
    });
    expect(scaling.status.phase).toBe("Synchronizing");
    const scaleJob = await client.waitForJob(scaling.status.jobId ?? "", QUICK_POLLS);
    expect(scaleJob.spec.type).toBe("UpdateNodePool");
    expect((await client.showNodePool(request)).status).toMatchObject({ phase: "", currentNode: 3 });

    const poolNodes = async () =>
      (await client.listNodes({ cluster_id: clusterId })).items.filter((node) => poolOf(node) === pool.metadata.uid);
    const [leaving] = await poolNodes();
    const deletingNode = await client.deleteNode({
      cluster_id: clusterId,
      node_id: leaving?.metadata.uid ?? "",
      nodepoolScaleDown: "NoScaleDown",
    });
    expect(deletingNode.status.phase).toBe("Deleting");
    expect((await client.waitForJob(deletingNode.status.jobID ?? "", QUICK_POLLS)).spec.type).toBe("DeleteNode");
    expect(await poolNodes()).toHaveLength(2);

    const deletingPool = await client.deleteNodePool(request);
    expect(deletingPool.status.phase).toBe("Deleting");
    await client.waitForJob(deletingPool.status.jobId ?? "", QUICK_POLLS);
    expect(await poolNodes()).toEqual([]);
    const gone = await rejectionOf(client.showNodePool(request));
    expect(gone).toMatchObject({ httpStatusCode: 404, errorCode: "CCE.01404001" });
  });

  it("sends the query of listNodePools and deleteCluster, signed with an access key", async () => {
    const client = await clientOfSystem({ credential: { ak: AK, sk: SK } });
    const names = async (showDefaultNodePool?: string) =>
      (await client.listNodePools({ cluster_id: CLUSTER, showDefaultNodePool })).items.map((p) => p.metadata.name);
    expect(await names()).toEqual(["b"]);
    expect(await names("true")).toEqual(["DefaultPool", "b"]);

    // `tobedeleted` only marks a yearly/monthly cluster's flags: the cluster stays as it is.
    const marked = await client.deleteCluster({ cluster_id: CLUSTER, tobedeleted: "true" });
    expect(marked.status.phase).toBe("Available");
    expect((await client.showCluster({ cluster_id: CLUSTER })).status.phase).toBe("Available");
  });

  it("times out on a job nobody runs with the last job read, and rejects an unknown job with a 404", async () => {
    const client = await clientOfSystem({ startEngine: false });
    const created = await client.createCluster({ body: clusterBody("never-run") });
    const log = phaseLog();
    const waiting = client.waitForJob(created.status.jobID ?? "", { pollIntervalMs: 20, timeoutMs: 200, ...log });
    const timedOut = await waiting.catch((error: unknown) => error);
    expect(timedOut).toBeInstanceOf(JobWaitTimeoutError);
    expect((timedOut as JobWaitTimeoutError).lastJob.status.phase).toBe("Initializing");
    expect((timedOut as JobWaitTimeoutError).message).toContain("CreateCluster job");
    // It kept polling until the deadline rather than giving up at the first read.
    expect(log.phases.length).toBeGreaterThan(2);

    const unknown = await rejectionOf(client.waitForJob("no-such-job", QUICK_POLLS));
    expect(unknown).toMatchObject({ httpStatusCode: 404, errorCode: "CCE.01404001" });
  });
});
