import { CompiledQuery, type Insertable, type Kysely, type Selectable, sql } from "kysely";
import { parseDriverChoice } from "../domain/driver-config.js";
import { ACTIVE_TASK_PHASES, type UpgradeTaskPhase } from "../domain/upgrade-task.js";
import { isUniqueViolation } from "./database.js";
import { LifecycleRefusedError } from "./lifecycle-refused.js";
import type { Database, UpgradeTasksTable } from "./schema.js";

export type UpgradeTaskRow = Selectable<UpgradeTasksTable>;
export type NewUpgradeTask = Insertable<UpgradeTasksTable>;

/** The cluster already has an active upgrade task. */
export class ActiveUpgradeExistsError extends Error {}

/** The cluster's control plane is being backed up. */
export class BackupRunningError extends Error {}

/**
 * Stores a new task unless the cluster is being backed up, with a copy of the cluster's driver choice. The partial
 * unique index on active tasks makes a concurrent second insert for the same cluster fail here, whatever any earlier
 * read said; the cluster row's lock orders this against a backup being created and the driver being changed
 * (`replaceDriverUnlessUpgrading`) at the same time, so the copy is the choice in force when the task became active.
 */
export async function insertUpgradeTask(db: Kysely<Database>, task: Omit<NewUpgradeTask, "driver">): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      await lockClusterForWork(trx, task.cluster_id);
      await refuseChangingNodes(trx, task.cluster_id);
      if (await hasRunningSnapshot(trx, task.cluster_id)) {
        throw new BackupRunningError(`cluster ${task.cluster_id} is being backed up`);
      }
      const chosen = await trx
        .selectFrom("cluster_drivers")
        .select("config")
        .where("cluster_id", "=", task.cluster_id)
        .executeTakeFirst();
      const driver = JSON.stringify(parseDriverChoice(chosen?.config ?? null));
      await trx
        .insertInto("upgrade_tasks")
        .values({ ...task, driver })
        .execute();
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ActiveUpgradeExistsError(`cluster ${task.cluster_id} has an active upgrade`);
    throw error;
  }
}

/**
 * Takes the cluster row's write lock for the rest of the transaction (PostgreSQL: the row; SQLite: the database), so
 * upgrades, backups and driver changes of one cluster happen one after the other.
 */
export async function lockCluster(trx: Kysely<Database>, clusterId: string): Promise<void> {
  await trx.updateTable("clusters").set({ updated_at: sql`updated_at` }).where("id", "=", clusterId).execute();
}

/**
 * `lockCluster` for new work on the cluster (an upgrade, a retry, a backup, a pre-check): refused while the cluster
 * is being created or deleted, which the lock orders against DeleteCluster's own check for work under way.
 */
export async function lockClusterForWork(trx: Kysely<Database>, clusterId: string): Promise<void> {
  await lockCluster(trx, clusterId);
  const cluster = await trx.selectFrom("clusters").select("phase").where("id", "=", clusterId).executeTakeFirst();
  if (!cluster) throw new LifecycleRefusedError("gone", `cluster ${clusterId} not found`);
  if (cluster.phase === "Creating" || cluster.phase === "Deleting") {
    throw new LifecycleRefusedError("state", `cluster ${clusterId} is ${cluster.phase}; it takes no upgrade work now`);
  }
}

/** Refuses while nodes of the cluster come or go (a pool being created, scaled or deleted, a node being deleted). */
export async function refuseChangingNodes(trx: Kysely<Database>, clusterId: string): Promise<void> {
  const changing = await trx
    .selectFrom("nodes")
    .select(["name", "status"])
    .where("cluster_id", "=", clusterId)
    .where("status", "in", ["Installing", "Deleting"])
    .executeTakeFirst();
  if (changing) {
    throw new LifecycleRefusedError("state", `node ${changing.name} of cluster ${clusterId} is ${changing.status}`);
  }
}

async function hasRunningSnapshot(db: Kysely<Database>, clusterId: string): Promise<boolean> {
  const row = await db
    .selectFrom("snapshot_tasks")
    .select("id")
    .where("cluster_id", "=", clusterId)
    .where("phase", "in", ["Init", "Running"])
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the cluster has an upgrade under way: `Init`, `Queuing`, `Running` or `Pause` (not `Failed`). */
export async function hasUpgradeUnderWay(db: Kysely<Database>, clusterId: string): Promise<boolean> {
  const row = await db
    .selectFrom("upgrade_tasks")
    .select("id")
    .where("cluster_id", "=", clusterId)
    .where("phase", "in", ["Init", "Queuing", "Running", "Pause"])
    .executeTakeFirst();
  return row !== undefined;
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

/** The columns a task's CCE document is made of: never the plan or the request, which can be large. */
export const TASK_DOCUMENT_COLUMNS = [
  "id",
  "phase",
  "from_version",
  "target_version",
  "progress",
  "failure_reason",
  "created_at",
  "updated_at",
  "completed_at",
] as const;
export type TaskDocumentRow = Pick<UpgradeTaskRow, (typeof TASK_DOCUMENT_COLUMNS)[number]>;

const taskDocumentSql = new WeakMap<Kysely<Database>, string>();

/**
 * What ShowUpgradeClusterTask answers with, in one query; undefined for a task of another cluster or project. The
 * hottest query of the service (every client polls it), so its SQL is built once per database and only bound after.
 */
export async function findTaskDocumentRow(
  db: Kysely<Database>,
  projectId: string,
  clusterId: string,
  taskId: string,
): Promise<TaskDocumentRow | undefined> {
  let text = taskDocumentSql.get(db);
  if (text === undefined) {
    text = db
      .selectFrom("upgrade_tasks")
      .select(TASK_DOCUMENT_COLUMNS)
      .where("id", "=", "")
      .where("cluster_id", "=", "")
      .where("project_id", "=", "")
      .compile().sql;
    taskDocumentSql.set(db, text);
  }
  const result = await db.executeQuery<TaskDocumentRow>(CompiledQuery.raw(text, [taskId, clusterId, projectId]));
  return result.rows[0];
}

/** The tasks of a cluster, newest first. */
export function listUpgradeTasks(
  db: Kysely<Database>,
  projectId: string,
  clusterId: string,
): Promise<TaskDocumentRow[]> {
  return db
    .selectFrom("upgrade_tasks")
    .select(TASK_DOCUMENT_COLUMNS)
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
  const taskAsRead = (trx: Kysely<Database>) =>
    trx
      .updateTable("upgrade_tasks")
      .where("id", "=", task.id)
      .where("fence", "=", task.fence)
      .where("phase", "=", task.phase);
  // A pause request leaves the fence alone: the worker holding the lease must still be able to commit its step.
  if (write.kind === "pause-request") {
    const result = await taskAsRead(db)
      .set({ requested_control: write.requested ? "pause" : null })
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  // A phase change (continue, retry) puts the task back to work: not on a cluster being deleted. The task's row
  // first, then the cluster's, the engine's order.
  return db.transaction().execute(async (trx) => {
    const result = await taskAsRead(trx)
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
    if (result.numUpdatedRows === 0n) return false;
    await lockClusterForWork(trx, task.cluster_id);
    return true;
  });
}

/** Whether the cluster has a task that holds it (`Init`, `Queuing`, `Running`, `Pause` or `Failed`). */
export async function hasActiveUpgrade(db: Kysely<Database>, clusterId: string): Promise<boolean> {
  const row = await db
    .selectFrom("upgrade_tasks")
    .select("id")
    .where("cluster_id", "=", clusterId)
    .where("phase", "in", ACTIVE_TASK_PHASES)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The cluster's newest upgrade task, or undefined when it was never upgraded. */
export function newestUpgradeTask(db: Kysely<Database>, clusterId: string): Promise<UpgradeTaskRow | undefined> {
  return db
    .selectFrom("upgrade_tasks")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
}
