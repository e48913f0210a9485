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

/** `ShowCluster`'s body. Network fields CCE would return are filled with stable values derived from the ID. */
export function clusterDocument(cluster: ClusterRow, zone: DisplayZone) {
  const short = cluster.id.slice(0, 8);
  return {
    kind: "Cluster",
    apiVersion: "v3",
    metadata: {
      name: cluster.name,
      uid: cluster.id,
      creationTimestamp: formatGoTime(cluster.created_at, zone),
      updateTimestamp: formatGoTime(cluster.updated_at, zone),
      annotations: {},
      labels: {},
    },
    spec: {
      category: cluster.category,
      type: cluster.cluster_type,
      flavor: cluster.flavor,
      version: cluster.version,
      platformVersion: cluster.platform_version,
      description: cluster.description,
      hostNetwork: { vpc: `vpc-${short}`, subnet: `subnet-${short}` },
      containerNetwork: { mode: "overlay_l2", cidr: "172.16.0.0/16" },
      authentication: { mode: "rbac" },
      billingMode: 0,
      kubernetesSvcIpRange: "10.247.0.0/16",
      kubeProxyMode: "iptables",
      az: "multi_az",
      extendParam: {},
    },
    status: {
      phase: cluster.phase,
      endpoints: [{ url: `https://${cluster.name}.${short}.cluster.internal:5443`, type: "Internal" }],
    },
  };
}
