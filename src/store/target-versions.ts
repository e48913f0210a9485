import type { Kysely } from "kysely";
import type { ReachedTarget } from "../engine/ports.js";
import type { Database } from "./schema.js";

/**
 * Records in the inventory the versions a step's targets reached (control plane, add-ons, nodes), inside the
 * engine's lease-guarded commit. Pre-check and backup steps change no version.
 */
export async function recordReachedTargets(
  trx: Kysely<Database>,
  clusterId: string,
  reached: readonly ReachedTarget[],
  now: number,
): Promise<void> {
  const nodes = reached.filter((target) => target.kind === "node");
  for (const version of new Set(nodes.map((node) => node.version))) {
    const ids = nodes.filter((node) => node.version === version).map((node) => node.key);
    await trx
      .updateTable("nodes")
      .set({ version, updated_at: now })
      .where("cluster_id", "=", clusterId)
      .where("id", "in", ids)
      .execute();
  }
  for (const target of reached) {
    if (target.kind === "master") {
      await trx
        .updateTable("clusters")
        .set({ control_plane_version: target.version, updated_at: now })
        .where("id", "=", clusterId)
        .execute();
    } else if (target.kind === "addon") {
      await trx
        .updateTable("addons")
        .set({ version: target.version, updated_at: now })
        .where("cluster_id", "=", clusterId)
        .where("name", "=", target.key)
        .execute();
    }
  }
}
