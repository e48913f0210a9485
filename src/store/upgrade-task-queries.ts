import type { Insertable, Kysely, Selectable } from "kysely";
import { isUniqueViolation } from "./database.js";
import type { Database, UpgradeTasksTable } from "./schema.js";

export type UpgradeTaskRow = Selectable<UpgradeTasksTable>;
export type NewUpgradeTask = Insertable<UpgradeTasksTable>;

/** The cluster already has an active upgrade task. */
export class ActiveUpgradeExistsError extends Error {}

/**
 * Stores a new task. The partial unique index on active tasks makes a concurrent second insert for the same cluster
 * fail here, whatever any earlier read said.
 */
export async function insertUpgradeTask(db: Kysely<Database>, task: NewUpgradeTask): Promise<void> {
  try {
    await db.insertInto("upgrade_tasks").values(task).execute();
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ActiveUpgradeExistsError(`cluster ${task.cluster_id} has an active upgrade`);
    throw error;
  }
}

/** One task of a cluster of a project, or undefined. */
export function findUpgradeTask(
  db: Kysely<Database>,
  projectId: string,
  clusterId: string,
  taskId: string,
): Promise<UpgradeTaskRow | undefined> {
  return db
    .selectFrom("upgrade_tasks")
    .selectAll()
    .where("id", "=", taskId)
    .where("cluster_id", "=", clusterId)
    .where("project_id", "=", projectId)
    .executeTakeFirst();
}

/** The tasks of a cluster, newest first. */
export function listUpgradeTasks(
  db: Kysely<Database>,
  projectId: string,
  clusterId: string,
): Promise<UpgradeTaskRow[]> {
  return db
    .selectFrom("upgrade_tasks")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .where("project_id", "=", projectId)
    .orderBy("created_at", "desc")
    .orderBy("id")
    .execute();
}
