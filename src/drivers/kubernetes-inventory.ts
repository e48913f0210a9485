import { isKubernetesProfile, type KubernetesDriverConfig } from "../domain/driver-config.js";
import { CCE_POOL_LABEL, type ObservedNode } from "../domain/kubernetes-nodes.js";
import type { DriverChoices } from "./driver-choices.js";
import type { HookLogger } from "./hook-driver.js";
import { clientNodeApi, type KubernetesApi, poolOf } from "./kubernetes-api.js";

/** The longest a request waits for a cluster's node list. */
const READ_TIMEOUT_MS = 10_000;

/** A cluster's nodes as its Kubernetes API reports them, or that they could not be read. */
export type NodeReading =
  | { readonly ok: true; readonly nodes: readonly ObservedNode[] }
  | { readonly ok: false; readonly reason: string };

/** Reads the cluster's nodes through the profile's kubeconfig, within a time limit; the error goes to the log. */
export async function readClusterNodes(
  profile: KubernetesDriverConfig,
  log: Pick<HookLogger, "warn">,
): Promise<NodeReading> {
  try {
    const read = clientNodeApi(profile).then((api) => readObservedNodes(api, profile));
    return { ok: true, nodes: await withTimeout(read, READ_TIMEOUT_MS) };
  } catch (error) {
    log.warn({ err: error }, "reading the cluster's nodes through its kubeconfig failed");
    return { ok: false, reason: "the cluster's Kubernetes API could not be read; the server log says why" };
  }
}

/** The kubernetes profile the cluster uses now, if it uses one. */
export async function kubernetesProfileOf(
  choices: DriverChoices,
  clusterId: string,
): Promise<KubernetesDriverConfig | undefined> {
  const row = await choices.forCluster(clusterId);
  if (row?.choice.type !== "profile") return undefined;
  const profile = await choices.profile(row.projectId, row.choice.profile);
  return profile && isKubernetesProfile(profile) ? profile : undefined;
}

/** Every node with its pool and the number of pods a drain would move off it (its load). */
export async function readObservedNodes(
  api: KubernetesApi,
  profile: Pick<KubernetesDriverConfig, "poolLabel">,
): Promise<ObservedNode[]> {
  const [nodes, pods] = await Promise.all([api.listNodes(), api.listPods()]);
  const poolLabel = profile.poolLabel ?? CCE_POOL_LABEL;
  const load = new Map<string, number>();
  for (const pod of pods) {
    if (pod.daemonSet || pod.mirror || pod.finished || pod.nodeName === "") continue;
    load.set(pod.nodeName, (load.get(pod.nodeName) ?? 0) + 1);
  }
  return nodes.map((node) => ({ ...node, pool: poolOf(node, poolLabel), load: load.get(node.name) ?? 0 }));
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
