import { BoundedMap } from "../domain/bounded-map.js";
import type { Clock } from "../domain/clock.js";
import type { FaultQuery, SimulatedCluster, SimulatedFault } from "../drivers/simulated-cluster.js";
import type { Store } from "./database.js";
import type { FaultRow } from "./fault-queries.js";
import { admitFence, SIMULATED_APPLIES } from "./simulated-applies.js";

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
      return store.groupCommit.runMerged(SIMULATED_APPLIES[store.dialect], { apply, now: clock.nowMicros() });
    },

    async admit(taskId, fence) {
      await store.groupCommit.run((trx) => admitFence(store.dialect, trx, taskId, fence));
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
