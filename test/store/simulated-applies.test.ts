import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SimulatedApply } from "../../src/drivers/simulated-cluster.js";
import { applySeed } from "../../src/store/seed-file.js";
import { simulatedClusterStore } from "../../src/store/simulated-cluster-store.js";
import { insertUpgradeTask } from "../../src/store/upgrade-task-queries.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import { CLUSTER, ManualClock, newTaskRow, OLD_CLUSTER, testSeed } from "../support/fixtures.js";

/**
 * The simulator's calls that arrive together share one group commit (on PostgreSQL: merged into a few statements);
 * each must come out as if written alone, in the order they were sent.
 */
describe.each(DIALECTS)("simulated calls recorded together on %s", (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  const clock = new ManualClock();

  beforeEach(async () => {
    store = await freshStore(dialect);
    await applySeed(store, testSeed(), clock);
    for (const [id, clusterId] of [
      ["task-0", CLUSTER],
      ["task-1", OLD_CLUSTER],
    ] as const) {
      await insertUpgradeTask(store.db, newTaskRow(id, clusterId, clock.nowMicros(), { phase: "Running" }));
    }
  });
  afterEach(async () => store.close());

  const call = (taskId: string, clusterId: string, name: string, fence: number, failed = false): SimulatedApply => ({
    clusterId,
    kind: "node",
    name,
    taskId,
    stepIndex: 3,
    target: name,
    run: 1,
    attempt: 1,
    fromVersion: "v1.28.15-r30",
    toVersion: "v1.29.15-r50",
    failed,
    fence,
  });

  it("fences an older worker behind a newer one, leaves no trace of a deleted task, writes the rest", async () => {
    const simulator = simulatedClusterStore(store, clock);
    const transactions = vi.spyOn(store.db, "transaction");
    const admitted = await Promise.all(
      [
        call("task-0", CLUSTER, "n1", 6),
        call("task-0", CLUSTER, "n2", 5),
        call("task-gone", CLUSTER, "n3", 1),
        call("task-1", OLD_CLUSTER, "m1", 3, true),
        call("task-1", OLD_CLUSTER, "m2", 3),
        call("task-1", OLD_CLUSTER, "m2", 3),
      ].map((apply) => simulator.recordApply(apply)),
    );
    expect(transactions).toHaveBeenCalledTimes(1);
    expect(admitted).toEqual([true, false, false, true, true, true]);

    const log = await store.db
      .selectFrom("simulator_apply_log")
      .select(["task_id", "target", "outcome"])
      .orderBy("target")
      .orderBy("outcome")
      .execute();
    expect(log.map((row) => `${row.task_id}/${row.target} ${row.outcome}`)).toEqual([
      "task-1/m1 failed",
      "task-1/m2 changed",
      "task-1/m2 unchanged",
      "task-0/n1 changed",
      "task-0/n2 fenced",
    ]);
    const targets = await store.db
      .selectFrom("simulated_targets")
      .select(["name", "version"])
      .orderBy("name")
      .execute();
    expect(targets).toEqual([
      { name: "m2", version: "v1.29.15-r50" },
      { name: "n1", version: "v1.29.15-r50" },
    ]);
    const fences = await store.db.selectFrom("simulated_fences").selectAll().orderBy("task_id").execute();
    expect(fences).toEqual([
      { task_id: "task-0", fence: 6 },
      { task_id: "task-1", fence: 3 },
    ]);
  });

  it("refuses a call older than the fence a takeover admitted before, and admits the newer worker's", async () => {
    const simulator = simulatedClusterStore(store, clock);
    await simulator.admit("task-0", 8);
    const admitted = await Promise.all(
      [call("task-0", CLUSTER, "n1", 7), call("task-0", CLUSTER, "n2", 8)].map((apply) => simulator.recordApply(apply)),
    );
    expect(admitted).toEqual([false, true]);
    const targets = await store.db.selectFrom("simulated_targets").select("name").execute();
    expect(targets).toEqual([{ name: "n2" }]);
  });
});
