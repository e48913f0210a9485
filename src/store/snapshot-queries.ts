import type { Insertable, Kysely, Selectable } from "kysely";
import { isUniqueViolation } from "./database.js";
import type { Database, SnapshotTasksTable } from "./schema.js";
import { hasUpgradeUnderWay, lockClusterForWork } from "./upgrade-task-queries.js";

export type SnapshotTaskRow = Selectable<SnapshotTasksTable>;

/** The cluster already has a backup under way. */
export class ActiveSnapshotExistsError extends Error {}

/** The cluster has an upgrade under way, which a backup must not run beside. */
export class UpgradeUnderWayError extends Error {}

/**
 * Stores a new backup task unless an upgrade is under way; the partial unique index refuses a second active backup
 * for the cluster, and the cluster row's lock orders this against an upgrade being created at the same time.
 */
export async function insertSnapshotTask(db: Kysely<Database>, task: Insertable<SnapshotTasksTable>): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      await lockClusterForWork(trx, task.cluster_id);
      if (await hasUpgradeUnderWay(trx, task.cluster_id)) {
        throw new UpgradeUnderWayError(`cluster ${task.cluster_id} has an upgrade under way`);
      }
      await trx.insertInto("snapshot_tasks").values(task).execute();
    });
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
