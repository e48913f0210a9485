import { type Kysely, sql, type Transaction } from "kysely";
import type { PrecheckInput, SkippedCheckItem } from "../domain/upgrade-checks.js";
import { ACTIVE_TASK_PHASES } from "../domain/upgrade-task.js";
import type { CheckTaskStore, DueCheckTask } from "../engine/check-runner.js";
import type { Store } from "./database.js";
import type { Database } from "./schema.js";

/** The sub-task name a `backup` fault rule may target to fail only control-plane backups. */
const SNAPSHOT_FAULT_TARGET = "master-backup";

/** The check runner's queries, the same for both dialects. */
export function checkTaskStore(store: Store): CheckTaskStore {
  const { db } = store;
  return {
    async dueTasks(nowMicros, limit) {
      const [prechecks, snapshots] = await Promise.all([
        db
          .selectFrom("precheck_tasks")
          .select(["id", "phase", "fence"])
          .where("phase", "in", ["Init", "Running"])
          .where("due_at", "<=", nowMicros)
          .orderBy("due_at")
          .limit(limit)
          .execute(),
        db
          .selectFrom("snapshot_tasks")
          .select(["id", "phase", "fence"])
          .where("phase", "in", ["Init", "Running"])
          .where("due_at", "<=", nowMicros)
          .orderBy("due_at")
          .limit(limit)
          .execute(),
      ]);
      return [
        ...prechecks.map((row) => ({ kind: "precheck" as const, ...row }) as DueCheckTask),
        ...snapshots.map((row) => ({ kind: "snapshot" as const, ...row }) as DueCheckTask),
      ];
    },

    async startTask(task, nowMicros, dueAtMicros) {
      const change = {
        phase: "Running" as const,
        due_at: dueAtMicros,
        fence: sql<number>`fence + 1`,
        updated_at: nowMicros,
      };
      const table = task.kind === "precheck" ? "precheck_tasks" : "snapshot_tasks";
      const result = await db
        .updateTable(table)
        .set(change)
        .where("id", "=", task.id)
        .where("fence", "=", task.fence)
        .where("phase", "=", "Init")
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    finishPrecheck: (task, nowMicros, expiresAtMicros, evaluate) =>
      db.transaction().execute(async (trx) => {
        const row = await lockRunning(store, trx, "precheck_tasks", task);
        if (!row) return false;
        const input = await precheckInput(trx, row.id);
        const result = evaluate(input);
        await useFaults(trx, result.consumedFaults);
        const { consumedFaults: _, phase, message, ...groups } = result;
        await trx
          .updateTable("precheck_tasks")
          .set({
            phase,
            message,
            result: JSON.stringify(groups),
            completed_at: nowMicros,
            expires_at: expiresAtMicros,
            fence: sql<number>`fence + 1`,
            updated_at: nowMicros,
          })
          .where("id", "=", row.id)
          .execute();
        return true;
      }),

    finishSnapshot: (task, nowMicros) =>
      db.transaction().execute(async (trx) => {
        const row = await lockRunning(store, trx, "snapshot_tasks", task);
        if (!row) return false;
        const fault = await trx
          .selectFrom("cluster_faults")
          .select(["id", "error_code", "message"])
          .where("cluster_id", "=", row.cluster_id)
          .where("step", "=", "backup")
          .where("mode", "=", "fail")
          .where("remaining", ">", 0)
          .where((eb) => eb.or([eb("target", "is", null), eb("target", "=", SNAPSHOT_FAULT_TARGET)]))
          .orderBy("created_at")
          .limit(1)
          .executeTakeFirst();
        if (fault) await useFaults(trx, [fault.id]);
        await trx
          .updateTable("snapshot_tasks")
          .set({
            phase: fault ? "Failed" : "Success",
            message: fault ? `${fault.error_code}: ${fault.message}` : "control-plane backup taken",
            completed_at: nowMicros,
            fence: sql<number>`fence + 1`,
            updated_at: nowMicros,
          })
          .where("id", "=", row.id)
          .execute();
        return true;
      }),
  };
}

/** The task as read, if it is still `Running` at the fence the runner saw; locked on PostgreSQL until commit. */
async function lockRunning(
  store: Store,
  trx: Transaction<Database>,
  table: "precheck_tasks" | "snapshot_tasks",
  task: DueCheckTask,
): Promise<{ id: string; cluster_id: string } | undefined> {
  let query = trx
    .selectFrom(table)
    .select(["id", "cluster_id"])
    .where("id", "=", task.id)
    .where("fence", "=", task.fence)
    .where("phase", "=", "Running");
  if (store.dialect === "postgres") query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Uses up one attempt of each fault rule. */
async function useFaults(trx: Kysely<Database>, faultIds: readonly string[]): Promise<void> {
  for (const id of faultIds) {
    await trx
      .updateTable("cluster_faults")
      .set((eb) => ({ remaining: eb("remaining", "-", 1) }))
      .where("id", "=", id)
      .where("remaining", ">", 0)
      .execute();
  }
}

/** Everything the pre-check rules look at, read in the transaction that stores the result. */
async function precheckInput(trx: Kysely<Database>, taskId: string): Promise<PrecheckInput> {
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
    .executeTakeFirstOrThrow();
  const { clusterId } = task;
  const active = await trx
    .selectFrom("upgrade_tasks")
    .select("id")
    .where("cluster_id", "=", clusterId)
    .where("phase", "in", ACTIVE_TASK_PHASES)
    .limit(1)
    .executeTakeFirst();
  const nodes = await trx
    .selectFrom("nodes")
    .select(["id", "name", "pool_id", "status", "version"])
    .where("cluster_id", "=", clusterId)
    .orderBy("pool_id")
    .orderBy("name")
    .execute();
  const addons = await trx
    .selectFrom("addons")
    .select(["name", "version"])
    .where("cluster_id", "=", clusterId)
    .orderBy("name")
    .execute();
  const apis = await trx
    .selectFrom("cluster_deprecated_apis")
    .select(["url", "user_agent", "removed_in"])
    .where("cluster_id", "=", clusterId)
    .orderBy("url")
    .execute();
  const faults = await trx
    .selectFrom("cluster_faults")
    .select(["id", "target", "error_code", "message"])
    .where("cluster_id", "=", clusterId)
    .where("step", "=", "precheck")
    .where("mode", "=", "fail")
    .where("remaining", ">", 0)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return {
    cluster: { version: task.version, phase: task.phase, hasActiveUpgrade: active !== undefined },
    targetVersion: task.targetVersion,
    nodes: nodes.map((n) => ({ id: n.id, name: n.name, poolId: n.pool_id, status: n.status, version: n.version })),
    addons,
    deprecatedApis: apis.map((api) => ({ url: api.url, userAgent: api.user_agent, removedIn: api.removed_in })),
    faults: faults.map((f) => ({ id: f.id, target: f.target, code: f.error_code, message: f.message })),
    skipped: JSON.parse(task.skippedItems) as SkippedCheckItem[],
  };
}
