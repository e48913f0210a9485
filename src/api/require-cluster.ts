import type { Kysely } from "kysely";
import { type ClusterRow, findCluster } from "../store/cluster-queries.js";
import type { Database } from "../store/schema.js";
import { ApiError } from "./errors.js";

/** The cluster a path names, or 404 `CCE.01404001`; another project's cluster is as absent as a missing one. */
export async function requireCluster(db: Kysely<Database>, projectId: string, clusterId: string): Promise<ClusterRow> {
  const cluster = await findCluster(db, projectId, clusterId);
  if (!cluster) throw new ApiError("resourceNotFound", `cluster ${clusterId} not found`);
  return cluster;
}
