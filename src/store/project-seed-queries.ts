import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { ClusterSeed } from "./seed-file.js";

/** Records the clusters a seed gives a project, replacing what an earlier seed gave it. */
export async function recordProjectSeed(
  db: Kysely<Database>,
  projectId: string,
  clusters: readonly ClusterSeed[],
  nowMicros: number,
): Promise<void> {
  const row = { clusters: JSON.stringify(clusters), recorded_at: nowMicros };
  await db
    .insertInto("project_seeds")
    .values({ project_id: projectId, ...row })
    .onConflict((oc) => oc.column("project_id").doUpdateSet(row))
    .execute();
}

/** The clusters the project's seed gives it, or undefined when no seed was recorded for it. */
export async function findProjectSeed(db: Kysely<Database>, projectId: string): Promise<ClusterSeed[] | undefined> {
  const row = await db
    .selectFrom("project_seeds")
    .select("clusters")
    .where("project_id", "=", projectId)
    .executeTakeFirst();
  return row && (JSON.parse(row.clusters) as ClusterSeed[]);
}

/** The cluster IDs among `ids` that another project's seed gives it: its reset would put them back. */
export async function clusterIdsSeededElsewhere(
  db: Kysely<Database>,
  projectId: string,
  ids: readonly string[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom("project_seeds").select("clusters").where("project_id", "<>", projectId).execute();
  const seeded = new Set(rows.flatMap((row) => (JSON.parse(row.clusters) as ClusterSeed[]).map((c) => c.id)));
  return ids.filter((id) => seeded.has(id));
}
