import { type Kysely, sql } from "kysely";
import type { PrecheckInput, SkippedCheckItem } from "../domain/upgrade-checks.js";
import { ACTIVE_TASK_PHASES } from "../domain/upgrade-task.js";
import type { CheckTaskStore, DueCheckTask } from "../engine/check-runner.js";
import { readCheckInventory } from "./check-inventory.js";
import type { Store } from "./database.js";
import type { Database } from "./schema.js";

type CheckTable = "precheck_tasks" | "snapshot_tasks";

const tableOf = (task: DueCheckTask): CheckTable => (task.kind === "precheck" ? "precheck_tasks" : "snapshot_tasks");

/** The check runner's queries, the same for both dialects. */
export function checkTaskStore(store: Store): CheckTaskStore {
  const { db } = store;
  const due = (table: CheckTable, nowMicros: number, limit: number) =>
    db
      .selectFrom(table)
      .select(["id", "cluster_id", "phase", "fence"])
      .where("phase", "in", ["Init", "Running"])
      .where("due_at", "<=", nowMicros)
      .orderBy("due_at")
      .limit(limit)
      .execute();
  /** One conditional move: only from the fence and phase the runner saw. */
  const move = async (task: DueCheckTask, from: "Init" | "Running", change: object) => {
    const result = await db
      .updateTable(tableOf(task))
      .set({ ...change, fence: sql<number>`fence + 1` })
      .where("id", "=", task.id)
      .where("fence", "=", task.fence)
      .where("phase", "=", from)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  };
  return {
    async dueTasks(nowMicros, limit) {
      const [prechecks, snapshots] = await Promise.all([
        due("precheck_tasks", nowMicros, limit),
        due("snapshot_tasks", nowMicros, limit),
      ]);
      const view = (kind: DueCheckTask["kind"]) => (row: (typeof prechecks)[number]) =>
        ({ kind, id: row.id, clusterId: row.cluster_id, phase: row.phase, fence: row.fence }) as DueCheckTask;
      return [...prechecks.map(view("precheck")), ...snapshots.map(view("snapshot"))];
    },

    startTask: (task, nowMicros) => move(task, "Init", { phase: "Running", due_at: nowMicros, updated_at: nowMicros }),

    async holdTask(task, nowMicros, untilMicros) {
      if (!(await move(task, "Running", { due_at: untilMicros, updated_at: nowMicros }))) return undefined;
      // The fence counts moves: 1 for the start, one more per hold, so the first hold is attempt 1.
      return { ...task, fence: task.fence + 1, attempt: task.fence };
    },

    async extendHold(task, untilMicros) {
      const result = await db
        .updateTable(tableOf(task))
        .set({ due_at: untilMicros })
        .where("id", "=", task.id)
        .where("fence", "=", task.fence)
        .where("phase", "=", "Running")
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    precheckInput: (task) => precheckInput(db, task.id),

    finishPrecheck: (task, nowMicros, expiresAtMicros, result) => {
      const { phase, message, ...groups } = result;
      return move(task, "Running", {
        phase,
        message,
        result: JSON.stringify(groups),
        completed_at: nowMicros,
        expires_at: expiresAtMicros,
        updated_at: nowMicros,
      });
    },

    finishSnapshot: (task, nowMicros, result) =>
      move(task, "Running", { ...result, completed_at: nowMicros, updated_at: nowMicros }),
  };
}

/** Everything the pre-check rules look at in the service's inventory; undefined once the task is gone. */
async function precheckInput(
  trx: Kysely<Database>,
  taskId: string,
): Promise<Omit<PrecheckInput, "inspection"> | undefined> {
  const task = await trx
    .selectFrom("precheck_tasks")
    .innerJoin("clusters", "clusters.id", "precheck_tasks.cluster_id")
    .select([
      "precheck_tasks.cluster_id as clusterId",
      "precheck_tasks.target_version as targetVersion",
      "precheck_tasks.skipped_items as skippedItems",
      "clusters.version as version",
      "clusters.phase as phase",
    ])
    .where("precheck_tasks.id", "=", taskId)
    .executeTakeFirst();
  // Its project was reset while a runner held it.
  if (!task) return undefined;
  const { clusterId } = task;
  const active = await trx
    .selectFrom("upgrade_tasks")
    .select("id")
    .where("cluster_id", "=", clusterId)
    .where("phase", "in", ACTIVE_TASK_PHASES)
    .limit(1)
    .executeTakeFirst();
  return {
    cluster: { version: task.version, phase: task.phase, hasActiveUpgrade: active !== undefined },
    targetVersion: task.targetVersion,
    ...(await readCheckInventory(trx, clusterId)),
    skipped: JSON.parse(task.skippedItems) as SkippedCheckItem[],
  };
}
