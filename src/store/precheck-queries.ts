import type { Insertable, Kysely, Selectable } from "kysely";
import type { Database, PrecheckTasksTable } from "./schema.js";
import { lockClusterForWork } from "./upgrade-task-queries.js";

export type PrecheckTaskRow = Selectable<PrecheckTasksTable>;

export async function insertPrecheckTask(db: Kysely<Database>, task: Insertable<PrecheckTasksTable>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockClusterForWork(trx, task.cluster_id);
    await trx.insertInto("precheck_tasks").values(task).execute();
  });
}

/** One pre-check of a cluster of a project, or undefined. */
export function findPrecheckTask(
  db: Kysely<Database>,
  projectId: string,
  clusterId: string,
  taskId: string,
): Promise<PrecheckTaskRow | undefined> {
  return db
    .selectFrom("precheck_tasks")
    .selectAll()
    .where("id", "=", taskId)
    .where("cluster_id", "=", clusterId)
    .where("project_id", "=", projectId)
    .executeTakeFirst();
}

/** The pre-checks of a cluster, newest first. */
export function listPrecheckTasks(
  db: Kysely<Database>,
  projectId: string,
  clusterId: string,
): Promise<PrecheckTaskRow[]> {
  return db
    .selectFrom("precheck_tasks")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .where("project_id", "=", projectId)
    .orderBy("created_at", "desc")
    .orderBy("id")
    .execute();
}

/** The newest pre-check of a cluster at `fromVersion` for `targetVersion`, the one UpgradeCluster relies on. */
export function newestPrecheckFor(
  db: Kysely<Database>,
  clusterId: string,
  fromVersion: string,
  targetVersion: string,
): Promise<PrecheckTaskRow | undefined> {
  return db
    .selectFrom("precheck_tasks")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .where("cluster_version", "=", fromVersion)
    .where("target_version", "=", targetVersion)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
}
