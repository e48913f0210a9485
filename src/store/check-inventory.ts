import type { Kysely } from "kysely";
import type { PrecheckInput } from "../domain/upgrade-checks.js";
import type { Database } from "./schema.js";

/** What the pre-check rules read of a cluster in the service's inventory. */
export type CheckInventory = Pick<PrecheckInput, "nodes" | "addons" | "deprecatedApis">;

/** The cluster's nodes, add-ons and deprecated APIs in use, for the standalone and the embedded pre-check alike. */
export async function readCheckInventory(db: Kysely<Database>, clusterId: string): Promise<CheckInventory> {
  const [nodes, addons, apis] = await Promise.all([
    db
      .selectFrom("nodes")
      .select(["id", "name", "pool_id", "status", "version"])
      .where("cluster_id", "=", clusterId)
      .orderBy("pool_id")
      .orderBy("name")
      .execute(),
    db.selectFrom("addons").select(["name", "version"]).where("cluster_id", "=", clusterId).orderBy("name").execute(),
    db
      .selectFrom("cluster_deprecated_apis")
      .select(["url", "user_agent", "removed_in"])
      .where("cluster_id", "=", clusterId)
      .orderBy("url")
      .execute(),
  ]);
  return {
    nodes: nodes.map((n) => ({ id: n.id, name: n.name, poolId: n.pool_id, status: n.status, version: n.version })),
    addons,
    deprecatedApis: apis.map((api) => ({ url: api.url, userAgent: api.user_agent, removedIn: api.removed_in })),
  };
}
