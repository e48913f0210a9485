import type { Kysely } from "kysely";
import { derivedUuid } from "../domain/cluster-lifecycle.js";
import { inventoryVersion, nodeStatus, type ObservedNode, observedNodeId } from "../domain/kubernetes-nodes.js";
import type { Database } from "./schema.js";

/**
 * Makes the cluster's stored nodes what its Kubernetes API reports, in one transaction: a node that left is deleted,
 * one that joined is added, the others take the API's pool, version, status and labels. A pool is matched by name
 * (the pool label's value) and added when the cluster has none of that name. Node IDs are derived from the cluster
 * and the node's uid, so two clusters on one kubeconfig never share a row.
 */
export async function replaceClusterNodes(
  db: Kysely<Database>,
  clusterId: string,
  observed: readonly ObservedNode[],
  nowMicros: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const cluster = await trx.selectFrom("clusters").select("version").where("id", "=", clusterId).executeTakeFirst();
    if (!cluster) return;
    const poolIds = await poolIdsByName(trx, clusterId, observed, nowMicros);
    const rows = observed.map((node) => ({
      id: observedNodeId(clusterId, node.uid),
      cluster_id: clusterId,
      pool_id: poolIds.get(node.pool) as string,
      name: node.name,
      version: inventoryVersion(node.kubeletVersion, cluster.version),
      status: nodeStatus(node),
      labels: JSON.stringify(node.labels),
      created_at: nowMicros,
      updated_at: nowMicros,
    }));
    let gone = trx.deleteFrom("nodes").where("cluster_id", "=", clusterId);
    if (rows.length > 0)
      gone = gone.where(
        "id",
        "not in",
        rows.map((row) => row.id),
      );
    await gone.execute();
    for (const row of rows) {
      await trx
        .insertInto("nodes")
        .values(row)
        .onConflict((oc) =>
          oc.column("id").doUpdateSet({
            pool_id: row.pool_id,
            name: row.name,
            version: row.version,
            status: row.status,
            labels: row.labels,
            updated_at: nowMicros,
          }),
        )
        .execute();
    }
  });
}

async function poolIdsByName(
  trx: Kysely<Database>,
  clusterId: string,
  observed: readonly ObservedNode[],
  nowMicros: number,
): Promise<Map<string, string>> {
  const pools = await trx.selectFrom("node_pools").select(["id", "name"]).where("cluster_id", "=", clusterId).execute();
  const ids = new Map(pools.map((pool) => [pool.name, pool.id]));
  for (const name of new Set(observed.map((node) => node.pool))) {
    if (ids.has(name)) continue;
    const id = derivedUuid(`${clusterId}/pool/${name}`);
    await trx
      .insertInto("node_pools")
      .values({ cluster_id: clusterId, id, name, created_at: nowMicros })
      .onConflict((oc) => oc.doNothing())
      .execute();
    ids.set(name, id);
  }
  return ids;
}
