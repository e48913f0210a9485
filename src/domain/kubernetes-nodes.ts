import { derivedUuid } from "./cluster-lifecycle.js";
import { parseVersion } from "./versions.js";

/** The label CCE puts on a node to name its pool, the `poolLabel` a Kubernetes profile reads by default. */
export const CCE_POOL_LABEL = "cce.cloud.com/cce-nodepool";

/** Where a node without the pool label belongs, as in CCE. */
export const DEFAULT_POOL = "DefaultPool";

/** A node as the Kubernetes API reports it. */
export interface ObservedNode {
  readonly uid: string;
  readonly name: string;
  /** The pool label's value, or `DefaultPool`. */
  readonly pool: string;
  readonly kubeletVersion: string;
  readonly ready: boolean;
  readonly unschedulable: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Pods on the node that a drain would evict: CCE upgrades the least-loaded node of a pool first. */
  readonly load: number;
}

/** The major, minor and patch a Kubernetes component reports (`v1.29.13`, `v1.29.13+k3s1`, `v1.29.13-eks-5e0fdde`). */
export function parseReportedVersion(text: string): { major: number; minor: number; patch: number } | undefined {
  const match = /^v?(\d{1,4})\.(\d{1,4})\.(\d{1,4})(?:[-+].*)?$/.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/**
 * Whether a version a kubelet or the API server reports is the CCE version `target`: the same major and minor, and the
 * same patch when the target names one. CCE's revision (`-r10`) is CCE's own and is not compared.
 */
export function reportsVersion(reported: string, target: string): boolean {
  const actual = parseReportedVersion(reported);
  const wanted = parseVersion(target);
  if (!actual || !wanted) return false;
  return (
    actual.major === wanted.major &&
    actual.minor === wanted.minor &&
    (wanted.patch === undefined || actual.patch === wanted.patch)
  );
}

/**
 * The version the inventory records for a node: the cluster's own CCE version when the kubelet runs it, so that a
 * cluster at `v1.28.15-r30` with kubelets at `v1.28.15` is not a skewed pool; else what the kubelet reports.
 */
export function inventoryVersion(kubeletVersion: string, clusterVersion: string): string {
  if (reportsVersion(kubeletVersion, clusterVersion) && parseVersion(clusterVersion)?.patch !== undefined) {
    return clusterVersion;
  }
  const reported = parseReportedVersion(kubeletVersion);
  return reported ? `v${reported.major}.${reported.minor}.${reported.patch}` : kubeletVersion;
}

/**
 * How many minors a kubelet may be older than the API server (Kubernetes' version skew policy: three since v1.28,
 * two before).
 */
export function kubeletSkewLimit(targetMinor: number): number {
  return targetMinor >= 28 ? 3 : 2;
}

/** The CCE node status of a node the API reports: `Active` when Ready, else `Abnormal`. */
export function nodeStatus(node: Pick<ObservedNode, "ready">): "Active" | "Abnormal" {
  return node.ready ? "Active" : "Abnormal";
}

/** The service's ID of a node the API reports: fixed by the cluster and the node's uid, unique across clusters. */
export function observedNodeId(clusterId: string, uid: string): string {
  return derivedUuid(`${clusterId}/node/${uid}`);
}
