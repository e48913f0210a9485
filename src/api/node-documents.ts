import type { Selectable } from "kysely";
import {
  CLUSTER_SUB_JOBS,
  type ClusterJobType,
  derivedUuid,
  nodePrivateIp,
  subJobPhase,
} from "../domain/cluster-lifecycle.js";
import { type DisplayZone, formatGoTime } from "../domain/go-time.js";
import type { NodePoolRow, NodeRow } from "../store/cluster-queries.js";
import type { ClusterJobsTable } from "../store/schema.js";

/** What CreateNodePool accepted, as `node_pools.spec` keeps it; `initialNodeCount` follows scaling. */
export interface NodePoolCreationSpec {
  readonly type: string;
  readonly nodeTemplate: Record<string, unknown>;
  readonly initialNodeCount: number;
  readonly autoscaling?: object;
  readonly nodeManagement?: object;
  readonly podSecurityGroups?: object[];
  readonly customSecurityGroups?: string[];
}

/** The annotation a node document carries its Kubernetes version in: CCE's own Node document has no such field. */
export const NODE_VERSION_ANNOTATION = "cce-upgrade.dev/kubernetes-version";

/** A seeded pool's template: what a seed file does not say, filled with CCE's usual values. */
const SEEDED_TEMPLATE = {
  flavor: "c7.large.2",
  az: "random",
  os: "EulerOS 2.9",
  login: { sshKey: "KeyPair-default" },
  rootVolume: { size: 50, volumetype: "SAS" },
  dataVolumes: [{ size: 100, volumetype: "SAS" }],
  billingMode: 0,
  runtime: { name: "containerd" },
};

/** A pool's spec: as created through the API, or the seeded pool's, counting the nodes it has. */
export function poolSpec(pool: NodePoolRow, nodes: readonly NodeRow[]): NodePoolCreationSpec {
  if (pool.spec) return JSON.parse(pool.spec) as NodePoolCreationSpec;
  const count = nodes.filter((node) => node.pool_id === pool.id).length;
  return {
    type: "vm",
    nodeTemplate: { ...SEEDED_TEMPLATE, k8sTags: { "cce.cloud.com/cce-nodepool": pool.name } },
    initialNodeCount: count,
  };
}

/** ShowNodePool's body, from the pool and the cluster's nodes. */
export function nodePoolDocument(pool: NodePoolRow, nodes: readonly NodeRow[], zone: DisplayZone) {
  const own = nodes.filter((node) => node.pool_id === pool.id);
  const count = (status: string) => own.filter((node) => node.status === status).length;
  const { autoscaling, nodeManagement, ...spec } = poolSpec(pool, nodes);
  const updatedAt = Math.max(pool.created_at, ...own.map((node) => node.updated_at));
  return {
    kind: "NodePool",
    apiVersion: "v3",
    metadata: {
      name: pool.name,
      uid: pool.id,
      creationTimestamp: formatGoTime(pool.created_at, zone),
      updateTimestamp: formatGoTime(updatedAt, zone),
    },
    spec: { ...spec, autoscaling: autoscaling ?? { enable: false }, nodeManagement: nodeManagement ?? {} },
    status: {
      currentNode: own.length - count("Deleting"),
      creatingNode: count("Installing"),
      deletingNode: count("Deleting"),
      phase: pool.phase,
      ...(pool.job_id !== null && { jobId: pool.job_id }),
    },
  };
}

/** What a node of the pool runs: the pool's template, without the pool-wide `count`. */
export function nodeSpec(pool: NodePoolRow): Record<string, unknown> {
  const { count, ...template } = poolSpec(pool, []).nodeTemplate;
  return template;
}

/** ShowNode's body: the node's row, its pool and the pool's `nodeSpec`. */
export function nodeDocument(node: NodeRow, pool: NodePoolRow, spec: Record<string, unknown>, zone: DisplayZone) {
  const labels = JSON.parse(node.labels) as Record<string, string>;
  return {
    kind: "Node",
    apiVersion: "v3",
    metadata: {
      name: node.name,
      uid: node.id,
      labels,
      annotations: { "kubernetes.io/node-pool.id": pool.id, [NODE_VERSION_ANNOTATION]: node.version },
      creationTimestamp: formatGoTime(node.created_at, zone),
      updateTimestamp: formatGoTime(node.updated_at, zone),
    },
    spec,
    status: {
      phase: node.status,
      ...(node.job_id !== null && { jobID: node.job_id }),
      serverId: node.id,
      privateIP: nodePrivateIp(node.id),
    },
  };
}

type ClusterJobRow = Selectable<ClusterJobsTable>;

/** ShowJob's body: the job and its sub-jobs, whose phases follow the job's. */
export function jobDocument(job: ClusterJobRow, zone: DisplayZone) {
  const metadata = (uid: string) => ({
    uid,
    creationTimestamp: formatGoTime(job.created_at, zone),
    updateTimestamp: formatGoTime(job.updated_at, zone),
  });
  const status = (phase: string) => ({ phase, ...(job.reason !== null && { reason: job.reason }) });
  const spec = (type: string) => ({
    type,
    clusterUID: job.cluster_id,
    resourceID: job.resource_id,
    resourceName: job.resource_name,
    extendParam: {},
  });
  const subJobs = CLUSTER_SUB_JOBS[job.type as ClusterJobType].map((type, index) => ({
    kind: "Job",
    apiVersion: "v3",
    metadata: metadata(derivedUuid(`${job.id}/${index}`)),
    spec: spec(type),
    status: status(subJobPhase(job.phase, index)),
  }));
  return {
    kind: "Job",
    apiVersion: "v3",
    metadata: metadata(job.id),
    spec: { ...spec(job.type), subJobs },
    status: status(job.phase),
  };
}
