import type { Insertable, Kysely, Selectable } from "kysely";
import type { PrecheckTaskRow } from "./precheck-queries.js";
import type { Database, PostcheckTasksTable, UpgradeWorkflowsTable } from "./schema.js";
import type { SnapshotTaskRow } from "./snapshot-queries.js";
import type { UpgradeTaskRow } from "./upgrade-task-queries.js";

export type WorkflowRow = Selectable<UpgradeWorkflowsTable>;
export type PostcheckTaskRow = Selectable<PostcheckTasksTable>;

export async function insertWorkflow(db: Kysely<Database>, workflow: Insertable<UpgradeWorkflowsTable>): Promise<void> {
  await db.insertInto("upgrade_workflows").values(workflow).execute();
}

/** One workflow of a cluster of a project, or undefined. */
export function findWorkflow(
  db: Kysely<Database>,
  projectId: string,
  clusterId: string,
  workflowId: string,
): Promise<WorkflowRow | undefined> {
  return db
    .selectFrom("upgrade_workflows")
    .selectAll()
    .where("id", "=", workflowId)
    .where("cluster_id", "=", clusterId)
    .where("project_id", "=", projectId)
    .executeTakeFirst();
}

/** The workflows of a cluster, newest first. */
export function listWorkflows(db: Kysely<Database>, projectId: string, clusterId: string): Promise<WorkflowRow[]> {
  return db
    .selectFrom("upgrade_workflows")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .where("project_id", "=", projectId)
    .orderBy("created_at", "desc")
    .orderBy("id")
    .execute();
}

/** The cluster's newest workflow that is not cancelled: checks without a target version take its target. */
export function newestOpenWorkflow(db: Kysely<Database>, clusterId: string): Promise<WorkflowRow | undefined> {
  return db
    .selectFrom("upgrade_workflows")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .where("cancelled_at", "is", null)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
}

/** Marks a workflow cancelled unless it already is; false when it was. */
export async function cancelWorkflow(db: Kysely<Database>, workflowId: string, nowMicros: number): Promise<boolean> {
  const result = await db
    .updateTable("upgrade_workflows")
    .set({ cancelled_at: nowMicros, updated_at: nowMicros })
    .where("id", "=", workflowId)
    .where("cancelled_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The tasks behind a workflow's steps. */
export interface WorkflowTaskRows {
  readonly precheck: PrecheckTaskRow | undefined;
  readonly snapshot: SnapshotTaskRow | undefined;
  readonly upgrade: UpgradeTaskRow | undefined;
  readonly postcheck: PostcheckTaskRow | undefined;
}

/**
 * The newest task of each kind for the workflow's cluster and versions, created during the workflow's lifetime: from
 * its creation until it is cancelled or the cluster's next workflow is created.
 */
export async function workflowTaskRows(db: Kysely<Database>, workflow: WorkflowRow): Promise<WorkflowTaskRows> {
  const next = await db
    .selectFrom("upgrade_workflows")
    .select("created_at")
    .where("cluster_id", "=", workflow.cluster_id)
    .where("created_at", ">", workflow.created_at)
    .orderBy("created_at")
    .limit(1)
    .executeTakeFirst();
  const ends = [workflow.cancelled_at, next?.created_at].filter((at): at is number => typeof at === "number");
  const end = ends.length ? Math.min(...ends) : Number.MAX_SAFE_INTEGER;
  const { cluster_id: clusterId, cluster_version: from, target_version: target, created_at: start } = workflow;
  const [precheck, snapshot, upgrade, postcheck] = await Promise.all([
    db
      .selectFrom("precheck_tasks")
      .selectAll()
      .where("cluster_id", "=", clusterId)
      .where("cluster_version", "=", from)
      .where("target_version", "=", target)
      .where("created_at", ">=", start)
      .where("created_at", "<", end)
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom("snapshot_tasks")
      .selectAll()
      .where("cluster_id", "=", clusterId)
      .where("created_at", ">=", start)
      .where("created_at", "<", end)
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom("upgrade_tasks")
      .selectAll()
      .where("cluster_id", "=", clusterId)
      .where("from_version", "=", from)
      .where("target_version", "=", target)
      .where("created_at", ">=", start)
      .where("created_at", "<", end)
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom("postcheck_tasks")
      .selectAll()
      .where("cluster_id", "=", clusterId)
      .where("target_version", "=", target)
      .where("created_at", ">=", start)
      .where("created_at", "<", end)
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst(),
  ]);
  return { precheck, snapshot, upgrade, postcheck };
}
