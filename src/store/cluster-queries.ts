import type { Kysely, Selectable } from "kysely";
import type { AddonsTable, ClustersTable, Database, NodePoolsTable, NodesTable } from "./schema.js";

export type ClusterRow = Selectable<ClustersTable>;
export type NodePoolRow = Selectable<NodePoolsTable>;
export type NodeRow = Selectable<NodesTable>;
export type AddonRow = Selectable<AddonsTable>;

/** A cluster of a project, or undefined: a cluster of another project is as absent as a missing one. */
export function findCluster(
  db: Kysely<Database>,
  projectId: string,
  clusterId: string,
): Promise<ClusterRow | undefined> {
  return db
    .selectFrom("clusters")
    .selectAll()
    .where("project_id", "=", projectId)
    .where("id", "=", clusterId)
    .executeTakeFirst();
}

export interface ClusterFilter {
  readonly phase?: string | undefined;
  readonly type?: string | undefined;
  readonly version?: string | undefined;
}

/** The clusters of a project, oldest first, narrowed by ListClusters' query filters. */
export function listClusters(
  db: Kysely<Database>,
  projectId: string,
  filter: ClusterFilter = {},
): Promise<ClusterRow[]> {
  let query = db.selectFrom("clusters").selectAll().where("project_id", "=", projectId);
  if (filter.phase) query = query.where("phase", "=", filter.phase);
  if (filter.type) query = query.where("cluster_type", "=", filter.type);
  if (filter.version) query = query.where("version", "=", filter.version);
  return query.orderBy("created_at").orderBy("name").execute();
}

/** The node pools of a cluster, in seed order of creation. */
export function listNodePools(db: Kysely<Database>, clusterId: string): Promise<NodePoolRow[]> {
  return db
    .selectFrom("node_pools")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}

/** The nodes of a cluster, by pool and name. */
export function listNodes(db: Kysely<Database>, clusterId: string): Promise<NodeRow[]> {
  return db
    .selectFrom("nodes")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .orderBy("pool_id")
    .orderBy("name")
    .execute();
}

/** The add-ons installed on a cluster, by name. */
export function listAddons(db: Kysely<Database>, clusterId: string): Promise<AddonRow[]> {
  return db.selectFrom("addons").selectAll().where("cluster_id", "=", clusterId).orderBy("name").execute();
}

/** The deprecated Kubernetes APIs a cluster's workloads still call. */
export function listDeprecatedApis(db: Kysely<Database>, clusterId: string) {
  return db
    .selectFrom("cluster_deprecated_apis")
    .select(["url", "user_agent", "removed_in"])
    .where("cluster_id", "=", clusterId)
    .orderBy("url")
    .execute();
}
