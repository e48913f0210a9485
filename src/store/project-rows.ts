import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.js";
import { inSlices } from "./seed-ownership.js";

/** How many rows of each kind a project has, or had: what a reset or a restore reports. */
export interface ProjectRowCounts {
  clusters: number;
  nodePools: number;
  nodes: number;
  addons: number;
  deprecatedApis: number;
  driverChoices: number;
  faults: number;
  upgradeTasks: number;
  prechecks: number;
  snapshots: number;
  postchecks: number;
  workflows: number;
  clusterJobs: number;
  simulatorTargets: number;
  simulatorApplyLog: number;
  simulatorFences: number;
}

/** What a reset or a restore did to a project. */
export interface ProjectStateChange {
  readonly removed: ProjectRowCounts;
  readonly restored: ProjectRowCounts;
}

const clustersOf = (db: Kysely<Database>, projectId: string) =>
  db.selectFrom("clusters").select("id").where("project_id", "=", projectId);

/** The IDs of the project's tasks the simulator may remember a fencing token of: upgrades, backups, pre-checks. */
const fencedTasks = (db: Kysely<Database>, scope: RowScope) =>
  (["upgrade_tasks", "snapshot_tasks", "precheck_tasks"] as const)
    .map((table) => db.selectFrom(table).select("id").where(scope.column, "=", scope.id))
    .reduce((all, next) => all.unionAll(next));

/** Tables whose rows hang under one of the project's clusters, by what a summary calls them. */
const CLUSTER_TABLES = {
  nodes: "nodes",
  nodePools: "node_pools",
  addons: "addons",
  deprecatedApis: "cluster_deprecated_apis",
  driverChoices: "cluster_drivers",
  faults: "cluster_faults",
  simulatorTargets: "simulated_targets",
  simulatorApplyLog: "simulator_apply_log",
} as const;

/** Tables of the project's tasks, which carry the project's ID. */
const TASK_TABLES = {
  upgradeTasks: "upgrade_tasks",
  prechecks: "precheck_tasks",
  snapshots: "snapshot_tasks",
  postchecks: "postcheck_tasks",
  workflows: "upgrade_workflows",
  clusterJobs: "cluster_jobs",
} as const;

/**
 * Takes the project's running work from whoever runs it, as the transaction's first write, so that its rows are
 * locked before anything else is (tasks, then clusters, the engine's order): every upgrade task's lease is ended under a new fencing token, so the worker holding it loses it
 * at its next write (renewal or commit), and every pre-check and backup moves on a fence, so the runner holding one
 * can no longer finish it. Then the clusters' rows are locked, as creating a task or a backup locks them. Returns
 * each upgrade task's new fence.
 */
export async function takeOverProjectWork(db: Kysely<Database>, projectId: string): Promise<Map<string, number>> {
  const upgrades = await db
    .updateTable("upgrade_tasks")
    .set({ lease_owner: null, lease_expires_at: null, fence: sql`fence + 1` })
    .where("project_id", "=", projectId)
    .returning(["id", "fence"])
    .execute();
  for (const table of ["precheck_tasks", "snapshot_tasks"] as const) {
    await db.updateTable(table).set({ fence: sql`fence + 1` }).where("project_id", "=", projectId).execute();
  }
  await db.updateTable("clusters").set({ updated_at: sql`updated_at` }).where("project_id", "=", projectId).execute();
  return new Map(upgrades.map((task) => [task.id, task.fence]));
}

/**
 * Deletes every row of the project but its credentials and grants: its clusters with their pools, nodes, add-ons,
 * deprecated APIs, driver choices and faults, its tasks, checks and lifecycle jobs, and the simulator's rows of its
 * clusters and tasks. A worker of a deleted task finds no row to write under its lease, and the simulator refuses it
 * as a task that no longer exists.
 */
export function deleteProjectRows(db: Kysely<Database>, projectId: string): Promise<ProjectRowCounts> {
  return deleteRows(db, { column: "project_id", id: projectId }, clustersOf(db, projectId));
}

/**
 * Deletes one cluster with every row under it, its tasks and checks included (DeleteCluster's last move). Its
 * lifecycle jobs stay: ShowJob still reports the deletion.
 */
export async function deleteClusterRows(db: Kysely<Database>, clusterId: string): Promise<void> {
  await deleteRows(db, { column: "cluster_id", id: clusterId }, [clusterId]);
}

type RowScope = { readonly column: "project_id" | "cluster_id"; readonly id: string };

async function deleteRows(
  db: Kysely<Database>,
  scope: RowScope,
  clusterIds: readonly string[] | ReturnType<typeof clustersOf>,
): Promise<ProjectRowCounts> {
  const taskIds = (await fencedTasks(db, scope).execute()).map((task) => task.id);
  const removed: Partial<ProjectRowCounts> = { clusterJobs: 0 };
  // Tasks before the simulator's rows: a simulator apply holding a task (key share) is let finish first, so its
  // rows are among those deleted next, and the apply never waits on a row this transaction holds.
  for (const [name, table] of Object.entries(TASK_TABLES)) {
    if (table === "cluster_jobs" && scope.column === "cluster_id") continue;
    const result = await db.deleteFrom(table).where(scope.column, "=", scope.id).executeTakeFirst();
    removed[name as keyof typeof TASK_TABLES] = Number(result.numDeletedRows);
  }
  const fences = await inSlices(taskIds, (slice) =>
    db.deleteFrom("simulated_fences").where("task_id", "in", slice).returning("task_id").execute(),
  );
  removed.simulatorFences = fences.length;
  // Nodes before their pools, which they reference.
  for (const [name, table] of Object.entries(CLUSTER_TABLES)) {
    const result = await db.deleteFrom(table).where("cluster_id", "in", clusterIds).executeTakeFirst();
    removed[name as keyof typeof CLUSTER_TABLES] = Number(result.numDeletedRows);
  }
  const clusters = await db
    .deleteFrom("clusters")
    .where(scope.column === "project_id" ? "project_id" : "id", "=", scope.id)
    .executeTakeFirst();
  return { ...removed, clusters: Number(clusters.numDeletedRows) } as ProjectRowCounts;
}

/** How many rows of each kind the project has now. */
export async function countProjectRows(db: Kysely<Database>, projectId: string): Promise<ProjectRowCounts> {
  const count = async (query: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) =>
    Number((await query.executeTakeFirstOrThrow()).n);
  const counts: Partial<ProjectRowCounts> = {
    clusters: await count(
      db
        .selectFrom("clusters")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("project_id", "=", projectId),
    ),
    simulatorFences: await count(
      db
        .selectFrom("simulated_fences")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("task_id", "in", fencedTasks(db, { column: "project_id", id: projectId })),
    ),
  };
  for (const [name, table] of Object.entries(TASK_TABLES)) {
    counts[name as keyof typeof TASK_TABLES] = await count(
      db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .where("project_id", "=", projectId),
    );
  }
  for (const [name, table] of Object.entries(CLUSTER_TABLES)) {
    counts[name as keyof typeof CLUSTER_TABLES] = await count(
      db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .where("cluster_id", "in", clustersOf(db, projectId)),
    );
  }
  return counts as ProjectRowCounts;
}
