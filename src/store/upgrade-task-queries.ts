import { type Insertable, type Kysely, type Selectable, sql } from "kysely";
import { ACTIVE_TASK_PHASES, type UpgradeTaskPhase } from "../domain/upgrade-task.js";
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

/**
 * The task the controls act on, as CCE's do: the cluster's active task, or else its newest one.
 */
export async function findCurrentUpgradeTask(
  db: Kysely<Database>,
  projectId: string,
  clusterId: string,
): Promise<UpgradeTaskRow | undefined> {
  const tasks = await db
    .selectFrom("upgrade_tasks")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .where("project_id", "=", projectId)
    .orderBy("created_at", "desc")
    .limit(50)
    .execute();
  return tasks.find((task) => ACTIVE_TASK_PHASES.includes(task.phase)) ?? tasks[0];
}

/** A change a control makes to a task, written only if the task is still as it was read (same fence). */
export type ControlWrite =
  | { readonly kind: "pause-request"; readonly requested: boolean }
  | { readonly kind: "phase"; readonly phase: UpgradeTaskPhase; readonly plan?: string | null };

/** Writes a control's change under optimistic concurrency; false when the task changed since it was read. */
export async function writeControl(
  db: Kysely<Database>,
  task: UpgradeTaskRow,
  write: ControlWrite,
  nowMicros: number,
): Promise<boolean> {
  const base = db
    .updateTable("upgrade_tasks")
    .where("id", "=", task.id)
    .where("fence", "=", task.fence)
    .where("phase", "=", task.phase);
  // A pause request leaves the fence alone: the worker holding the lease must still be able to commit its step.
  const result =
    write.kind === "pause-request"
      ? await base.set({ requested_control: write.requested ? "pause" : null }).executeTakeFirst()
      : await base
          .set({
            phase: write.phase,
            requested_control: null,
            failure_reason: null,
            ...(write.plan !== undefined && { plan: write.plan }),
            fence: sql`fence + 1`,
            updated_at: nowMicros,
          })
          .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_expires_at", "<=", nowMicros)]))
          .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
