import type { FastifyBaseLogger } from "fastify";
import type { Clock } from "../domain/clock.js";
import type { KubernetesDriverConfig } from "../domain/driver-config.js";
import { kubernetesProfileOf, readClusterNodes } from "../drivers/kubernetes-inventory.js";
import { driverChoices } from "../store/cluster-driver-queries.js";
import type { Store } from "../store/database.js";
import { replaceClusterNodes } from "../store/observed-nodes.js";

/** What reading a cluster's real nodes came to. */
export type NodeSync =
  | { readonly kind: "simulated" }
  | { readonly kind: "synced"; readonly profile: KubernetesDriverConfig }
  | { readonly kind: "unreadable"; readonly profile: KubernetesDriverConfig; readonly reason: string };

/**
 * For a cluster on a kubernetes profile, replaces its stored nodes with what its Kubernetes API reports (the seed's
 * nodes included); any other cluster keeps its stored nodes.
 */
export async function syncObservedNodes(
  store: Store,
  clusterId: string,
  clock: Clock,
  log: FastifyBaseLogger,
): Promise<NodeSync> {
  const profile = await kubernetesProfileOf(driverChoices(store), clusterId);
  if (!profile) return { kind: "simulated" };
  const reading = await readClusterNodes(profile, log);
  if (!reading.ok) return { kind: "unreadable", profile, reason: reading.reason };
  await replaceClusterNodes(store.db, clusterId, reading.nodes, clock.nowMicros());
  return { kind: "synced", profile };
}
