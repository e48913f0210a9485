import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { BoundedMap } from "../domain/bounded-map.js";
import type { Clock } from "../domain/clock.js";
import type { FaultQuery, SimulatedCluster, SimulatedFault } from "../drivers/simulated-cluster.js";
import type { Store } from "./database.js";
import type { FaultRow } from "./fault-queries.js";
import type { Database } from "./schema.js";
import { POSTGRES_SIMULATED_APPLIES, type TimedApply } from "./simulated-applies.js";

/** The simulator's state in the service's database: `simulated_targets`, `simulator_apply_log`, `cluster_faults`. */
export function simulatedClusterStore(store: Store, clock: Clock): SimulatedCluster {
  const { db } = store;
  const faultCache = new BoundedMap<string, Promise<FaultRow[]>>(4096);

  /** The armed fault rules for a step attempt, read once for all its targets (a batch has many). */
  function faultsOfStep(query: FaultQuery): Promise<FaultRow[]> {
    const key = `${query.taskId}/${query.stepIndex}/${query.attempt}`;
    let rules = faultCache.get(key);
    if (!rules) {
      rules = db
        .selectFrom("cluster_faults")
        .selectAll()
        .where("cluster_id", "=", query.clusterId)
        .where("step", "=", query.kind)
        .where("remaining", ">", 0)
        .orderBy("created_at")
        .execute();
      faultCache.set(key, rules);
    }
    return rules;
  }

  return {
    async versionOf(target) {
      const row = await db
        .selectFrom("simulated_targets")
        .select("version")
        .where("cluster_id", "=", target.clusterId)
        .where("kind", "=", target.kind)
        .where("name", "=", target.name)
        .executeTakeFirst();
      return row?.version;
    },

    async recordApply(apply) {
      const timed = { apply, now: clock.nowMicros() };
      // PostgreSQL merges the batch's calls into a few statements; SQLite, in-process, writes each on its own.
      if (store.dialect === "postgres") return store.groupCommit.runMerged(POSTGRES_SIMULATED_APPLIES, timed);
      return store.groupCommit.run((trx) => recordOneApply(store, trx, timed));
    },

    async admit(taskId, fence) {
      await store.groupCommit.run((trx) => admitFence(store, trx, taskId, fence));
    },

    async takeFault(query) {
      const candidates = (await faultsOfStep(query)).filter(
        (rule) => rule.target === null || rule.target === query.target,
      );
      return takeFirst(store, candidates);
    },

    async takeCheckFaults(clusterId, items) {
      // One read for the whole check: each item only takes rules naming it, so none is taken twice.
      const rules = await db
        .selectFrom("cluster_faults")
        .selectAll()
        .where("cluster_id", "=", clusterId)
        .where("step", "=", "precheck")
        .where("mode", "=", "fail")
        .where("remaining", ">", 0)
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      const unrunnable = await takeFirst(
        store,
        rules.filter((rule) => rule.target === null),
      );
      if (unrunnable) return { unrunnable, failed: new Map() };
      const failed = new Map<string, SimulatedFault>();
      for (const item of items) {
        const fault = await takeFirst(
          store,
          rules.filter((rule) => rule.target === item),
        );
        if (fault) failed.set(item, fault);
      }
      return { failed };
    },

    async faultExists(faultId) {
      const row = await db.selectFrom("cluster_faults").select("id").where("id", "=", faultId).executeTakeFirst();
      return row !== undefined;
    },
  };
}

/** One simulated call in its own statements: admit its fence, write its target if it changed, log it. */
async function recordOneApply(store: Store, trx: Kysely<Database>, { apply, now }: TimedApply): Promise<boolean> {
  const admission = apply.fence === undefined ? "admitted" : await admitFence(store, trx, apply.taskId, apply.fence);
  // The task was deleted (its project reset): its worker leaves no trace at all.
  if (admission === "gone") return false;
  const fenced = admission === "fenced";
  const before = await trx
    .selectFrom("simulated_targets")
    .select("version")
    .where("cluster_id", "=", apply.clusterId)
    .where("kind", "=", apply.kind)
    .where("name", "=", apply.name)
    .executeTakeFirst();
  const changed = !fenced && !apply.failed && before?.version !== apply.toVersion;
  if (changed) {
    await trx
      .insertInto("simulated_targets")
      .values({
        cluster_id: apply.clusterId,
        kind: apply.kind,
        name: apply.name,
        version: apply.toVersion,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(["cluster_id", "kind", "name"]).doUpdateSet({ version: apply.toVersion, updated_at: now }),
      )
      .execute();
  }
  await trx
    .insertInto("simulator_apply_log")
    .values({
      id: randomUUID(),
      cluster_id: apply.clusterId,
      task_id: apply.taskId,
      step_index: apply.stepIndex,
      step_kind: apply.kind,
      target: apply.target,
      run: apply.run,
      attempt: apply.attempt,
      outcome: fenced ? "fenced" : apply.failed ? "failed" : changed ? "changed" : "unchanged",
      from_version: apply.fromVersion,
      to_version: apply.toVersion,
      at: now,
    })
    .execute();
  return !fenced;
}

/** Consumes one attempt of the first rule another process has not used up meanwhile. */
async function takeFirst(store: Store, candidates: readonly FaultRow[]): Promise<SimulatedFault | undefined> {
  for (const rule of candidates) {
    const taken = await store.groupCommit.run((trx) =>
      trx
        .updateTable("cluster_faults")
        .set((eb) => ({ remaining: eb("remaining", "-", 1) }))
        .where("id", "=", rule.id)
        // The rule as it was read: a reset puts a seeded rule back under the same ID, and a stale worker must not
        // spend it.
        .where("created_at", "=", rule.created_at)
        .where("remaining", ">", 0)
        .executeTakeFirst(),
    );
    if (taken.numUpdatedRows > 0n) {
      return {
        id: rule.id,
        mode: rule.mode === "stall" ? "stall" : "fail",
        stallMs: rule.stall_ms,
        failure: { code: rule.error_code, message: rule.message, retryable: rule.retryable === 1 },
      };
    }
  }
  return undefined;
}

/**
 * Raises the task's remembered fencing token to `fence`: `fenced` when a higher one was already seen, `gone` (and
 * nothing written) when the task no longer exists. The upsert locks the row (PostgreSQL locks a conflicting row even
 * when it does not update it), so an older worker's apply and a newer worker's admission are ordered.
 */
async function admitFence(
  store: Store,
  trx: Kysely<Database>,
  taskId: string,
  fence: number,
): Promise<"admitted" | "fenced" | "gone"> {
  if (!(await taskExists(store, trx, taskId))) return "gone";
  await trx
    .insertInto("simulated_fences")
    .values({ task_id: taskId, fence })
    .onConflict((oc) => oc.column("task_id").doUpdateSet({ fence }).where("simulated_fences.fence", "<", fence))
    .execute();
  const seen = await trx
    .selectFrom("simulated_fences")
    .select("fence")
    .where("task_id", "=", taskId)
    .executeTakeFirstOrThrow();
  return seen.fence <= fence ? "admitted" : "fenced";
}

/**
 * Whether an upgrade, backup or pre-check task of this ID exists. On PostgreSQL the row is key-share locked until the
 * apply commits: a reset deleting the task waits for it, or it waits for the reset and then finds no task. Updates
 * of the task (the engine's commits) take no conflicting lock.
 */
async function taskExists(store: Store, trx: Kysely<Database>, taskId: string): Promise<boolean> {
  for (const table of ["upgrade_tasks", "snapshot_tasks", "precheck_tasks"] as const) {
    let query = trx.selectFrom(table).select("id").where("id", "=", taskId);
    if (store.dialect === "postgres") query = query.forKeyShare();
    if (await query.executeTakeFirst()) return true;
  }
  return false;
}
