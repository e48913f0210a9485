import { type DisplayZone, formatGoTime } from "../domain/go-time.js";
import { formatProgress } from "../domain/upgrade-task.js";
import type { ClusterRow } from "../store/cluster-queries.js";
import type { TaskDocumentRow } from "../store/upgrade-task-queries.js";

/**
 * `ShowUpgradeClusterTask`'s body for a stored task. `completionTime` follows the documented example, which fills it
 * in while the task is still in `Init`: until the task ends it carries the last update time.
 */
export function upgradeTaskDocument(task: TaskDocumentRow, zone: DisplayZone) {
  return {
    kind: "UpgradeTask",
    apiVersion: "v3",
    metadata: {
      uid: task.id,
      creationTimestamp: formatGoTime(task.created_at, zone),
      updateTimestamp: formatGoTime(task.updated_at, zone),
    },
    // `items` is CCE's free-form extra information; it carries the failure reason once there is one.
    spec: {
      version: task.from_version,
      targetVersion: task.target_version,
      ...(task.failure_reason !== null && { items: { failureReason: task.failure_reason } }),
    },
    status: {
      phase: task.phase,
      progress: formatProgress(task.progress),
      completionTime: formatGoTime(task.completed_at ?? task.updated_at, zone),
    },
  };
}

/** What CreateCluster accepted beyond the columns, as `clusters.spec` keeps it. */
export interface ClusterCreationSpec {
  readonly alias?: string;
  readonly annotations?: Record<string, string>;
  readonly labels?: Record<string, string>;
  readonly customSan?: string[];
  readonly ipv6enable?: boolean;
  readonly hostNetwork: { vpc: string; subnet: string; SecurityGroup?: string };
  readonly containerNetwork: { mode: string; cidr: string; cidrs?: { cidr: string }[] };
  readonly eniNetwork?: object;
  readonly authentication: { mode: string; authenticatingProxy?: object };
  readonly billingMode: number;
  readonly masters?: { availabilityZone: string }[];
  readonly kubernetesSvcIpRange: string;
  readonly kubeProxyMode: string;
  readonly az: string;
  readonly supportIstio?: boolean;
  readonly extendParam?: object;
}

/** What CreateCluster accepted for the cluster; for a seeded one, what its documents have always shown. */
export function clusterCreationSpec(cluster: ClusterRow): ClusterCreationSpec {
  return cluster.spec ? (JSON.parse(cluster.spec) as ClusterCreationSpec) : seededClusterSpec(cluster);
}

/** A seeded cluster's networks: stable values derived from its ID, as the documents always showed them. */
function seededClusterSpec(cluster: ClusterRow): ClusterCreationSpec {
  const short = cluster.id.slice(0, 8);
  return {
    hostNetwork: { vpc: `vpc-${short}`, subnet: `subnet-${short}` },
    containerNetwork: { mode: "overlay_l2", cidr: "172.16.0.0/16" },
    authentication: { mode: "rbac" },
    billingMode: 0,
    kubernetesSvcIpRange: "10.247.0.0/16",
    kubeProxyMode: "iptables",
    az: "multi_az",
  };
}

/** `ShowCluster`'s body: the columns, and what CreateCluster accepted (a seeded cluster: stable defaults). */
export function clusterDocument(cluster: ClusterRow, zone: DisplayZone) {
  const { alias, annotations, labels, extendParam, ...spec } = clusterCreationSpec(cluster);
  return {
    kind: "Cluster",
    apiVersion: "v3",
    metadata: {
      name: cluster.name,
      uid: cluster.id,
      ...(alias !== undefined && { alias }),
      creationTimestamp: formatGoTime(cluster.created_at, zone),
      updateTimestamp: formatGoTime(cluster.updated_at, zone),
      annotations: annotations ?? {},
      labels: labels ?? {},
    },
    spec: {
      category: cluster.category,
      type: cluster.cluster_type,
      flavor: cluster.flavor,
      version: cluster.version,
      platformVersion: cluster.platform_version,
      description: cluster.description,
      ...spec,
      extendParam: extendParam ?? {},
    },
    status: {
      phase: cluster.phase,
      ...(cluster.job_id !== null && { jobID: cluster.job_id }),
      ...(cluster.status_reason !== null && { reason: cluster.status_reason }),
      endpoints: [{ url: `https://${cluster.name}.${cluster.id.slice(0, 8)}.cluster.internal:5443`, type: "Internal" }],
    },
  };
}
