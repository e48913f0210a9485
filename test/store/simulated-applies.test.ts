import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SimulatedApply } from "../../src/drivers/simulated-cluster.js";
import { applySeed } from "../../src/store/seed-file.js";
import { SIMULATED_APPLIES } from "../../src/store/simulated-applies.js";
import { simulatedClusterStore } from "../../src/store/simulated-cluster-store.js";
import { insertUpgradeTask } from "../../src/store/upgrade-task-queries.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import {
  CLUSTER,
  ManualClock,
  newTaskRow,
  OLD_CLUSTER,
  OTHER_CLUSTER,
  PROJECT,
  testSeed,
} from "../support/fixtures.js";
import { statementsOf } from "../support/statements.js";

/**
 * The simulator's calls that arrive together share one group commit, merged into a few statements; each must
 * come out as if written alone, in the order they were sent (but for two workers of one task: the newer wins).
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

  /** The log in the order its rows were written, each as `<task>/<target> <outcome> <to version>`. */
  async function logInWriteOrder(): Promise<string[]> {
    const physical = sql.raw(dialect === "sqlite" ? "rowid" : "ctid");
    const { rows } = await sql<{ task_id: string; target: string; outcome: string; to_version: string }>`
      select task_id, target, outcome, to_version from simulator_apply_log order by ${physical}`.execute(store.db);
    return rows.map((row) => `${row.task_id}/${row.target} ${row.outcome} ${row.to_version}`);
  }

  it("admits only the newer of two workers of one task in a batch, even when the older one's call came first", async () => {
    const simulator = simulatedClusterStore(store, clock);
    const admitted = await Promise.all(
      [call("task-0", CLUSTER, "n1", 5), call("task-0", CLUSTER, "n2", 6)].map((apply) => simulator.recordApply(apply)),
    );
    expect(admitted).toEqual([false, true]);
    expect(await logInWriteOrder()).toEqual(["task-0/n1 fenced v1.29.15-r50", "task-0/n2 changed v1.29.15-r50"]);
    const targets = await store.db.selectFrom("simulated_targets").select("name").execute();
    expect(targets).toEqual([{ name: "n2" }]);
  });

  it("lets a target's last call in a batch win, each call judged against the version the one before left", async () => {
    const simulator = simulatedClusterStore(store, clock);
    const to = (toVersion: string, failed = false) => ({ ...call("task-1", OLD_CLUSTER, "m1", 3, failed), toVersion });
    const admitted = await Promise.all(
      [to("v2"), to("v3"), to("v4", true), to("v2"), to("v2")].map((apply) => {
        clock.advanceMs(1);
        return simulator.recordApply(apply);
      }),
    );
    expect(admitted).toEqual([true, true, true, true, true]);
    expect(await logInWriteOrder()).toEqual([
      "task-1/m1 changed v2",
      "task-1/m1 changed v3",
      "task-1/m1 failed v4",
      "task-1/m1 changed v2",
      "task-1/m1 unchanged v2",
    ]);
    const instants = await store.db.selectFrom("simulator_apply_log").select("at").orderBy("at").execute();
    expect(new Set(instants.map((row) => row.at)).size).toBe(5);
    const target = await store.db.selectFrom("simulated_targets").selectAll().executeTakeFirstOrThrow();
    expect(target).toMatchObject({ name: "m1", version: "v2", updated_at: clock.nowMicros() - 1000 });
  });

  it("leaves no trace of a task deleted with its fence remembered, admits backups' and unfenced calls", async () => {
    const simulator = simulatedClusterStore(store, clock);
    await insertUpgradeTask(store.db, newTaskRow("task-deleted", OTHER_CLUSTER, clock.nowMicros()));
    await simulator.admit("task-deleted", 1);
    await store.db.deleteFrom("upgrade_tasks").where("id", "=", "task-deleted").execute();
    await store.db
      .insertInto("snapshot_tasks")
      .values({
        ...{ id: "backup-0", item_id: "item-0", project_id: PROJECT, cluster_id: OTHER_CLUSTER, phase: "Running" },
        ...{ message: null, due_at: 0, created_at: 0, updated_at: 0, completed_at: null },
      })
      .execute();
    const admitted = await Promise.all(
      [
        call("task-0", CLUSTER, "n1", 1),
        call("task-deleted", OTHER_CLUSTER, "o1", 2),
        { ...call("task-unknown", OTHER_CLUSTER, "o2", 0), fence: undefined },
        call("backup-0", OTHER_CLUSTER, "o3", 1),
        call("task-1", OLD_CLUSTER, "m1", 1),
      ].map((apply) => simulator.recordApply(apply)),
    );
    expect(admitted).toEqual([true, false, true, true, true]);
    expect(await logInWriteOrder()).toEqual([
      "task-0/n1 changed v1.29.15-r50",
      "task-unknown/o2 changed v1.29.15-r50",
      "backup-0/o3 changed v1.29.15-r50",
      "task-1/m1 changed v1.29.15-r50",
    ]);
    const targets = await store.db.selectFrom("simulated_targets").select("name").orderBy("name").execute();
    expect(targets.map((row) => row.name)).toEqual(["m1", "n1", "o2", "o3"]);
    const fence = await store.db
      .selectFrom("simulated_fences")
      .select("fence")
      .where("task_id", "=", "task-deleted")
      .executeTakeFirstOrThrow();
    expect(fence.fence).toBe(1);
  });

  it("writes a full batch in as many statements as a batch of four calls", async () => {
    const statementsOfWrite = (applies: readonly SimulatedApply[]) =>
      statementsOf(store.db, (trx) =>
        SIMULATED_APPLIES[dialect].writeAll(
          trx,
          applies.map((apply) => ({ apply, now: clock.nowMicros() })),
        ),
      );
    const mixed = (i: number) => [
      call("task-0", CLUSTER, `n${i}`, 2),
      call("task-0", CLUSTER, `n${i}`, 1),
      call("task-gone", CLUSTER, `g${i}`, 1),
      call("task-1", OLD_CLUSTER, `m${i}`, 1, true),
    ];
    const few = await statementsOfWrite(mixed(0));
    const full = await statementsOfWrite(Array.from({ length: 128 }, (_, i) => mixed(i + 1)).flat());
    expect(few).toBeLessThanOrEqual(8);
    expect(full).toBe(few);
    const log = await store.db
      .selectFrom("simulator_apply_log")
      .select(({ fn }) => ["outcome", fn.countAll<number>().as("calls")])
      .groupBy("outcome")
      .orderBy("outcome")
      .execute();
    expect(log.map((row) => `${row.outcome} ${Number(row.calls)}`)).toEqual([
      "changed 129",
      "failed 129",
      "fenced 129",
    ]);
  });
});
