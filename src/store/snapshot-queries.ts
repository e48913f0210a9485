import type { Insertable, Kysely, Selectable } from "kysely";
import { isUniqueViolation } from "./database.js";
import type { Database, SnapshotTasksTable } from "./schema.js";

export type SnapshotTaskRow = Selectable<SnapshotTasksTable>;

/** The cluster already has a backup under way. */
export class ActiveSnapshotExistsError extends Error {}

/** Stores a new backup task; the partial unique index refuses a second active one for the cluster. */
export async function insertSnapshotTask(db: Kysely<Database>, task: Insertable<SnapshotTasksTable>): Promise<void> {
  try {
    await db.insertInto("snapshot_tasks").values(task).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ActiveSnapshotExistsError(`cluster ${task.cluster_id} is being backed up`);
    throw error;
  }
}

/** The backups of a cluster, newest first. */
export function listSnapshotTasks(
  db: Kysely<Database>,
  projectId: string,
  clusterId: string,
): Promise<SnapshotTaskRow[]> {
  return db
    .selectFrom("snapshot_tasks")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .where("project_id", "=", projectId)
    .orderBy("created_at", "desc")
    .orderBy("id")
    .execute();
}
