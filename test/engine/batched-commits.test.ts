import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { UpgradePlan } from "../../src/domain/upgrade-plan.js";
import { normalizeUpgradeAction } from "../../src/domain/upgrade-request.js";
import type { ClaimedTask, CommitOutcome, EngineStore, Lease, TaskChange } from "../../src/engine/ports.js";
import { engineStore } from "../../src/store/engine-store.js";
import { applySeed } from "../../src/store/seed-file.js";
import { TASK_COMMITS } from "../../src/store/task-commits.js";
import { insertUpgradeTask } from "../../src/store/upgrade-task-queries.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import { CLUSTER, ManualClock, newTaskRow, OLD_CLUSTER, OTHER_CLUSTER, testSeed } from "../support/fixtures.js";
import { statementsOf } from "../support/statements.js";

const TTL_MICROS = 10_000_000;
const CLUSTERS = [CLUSTER, OLD_CLUSTER, OTHER_CLUSTER] as const;
const action = normalizeUpgradeAction(
  { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } },
  "v1.29.15-r50",
);
const plan = (marker: string): UpgradePlan => ({ steps: [], marker }) as unknown as UpgradePlan;

/**
 * Commits sent at once share one group commit, merged into a few statements. Each must still come
 * out as if written alone: a lost lease writes nothing, a pending pause is honoured, progress never goes back.
 */
describe.each(DIALECTS)("engine commits batched together on %s", (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let engine: EngineStore;
  let tasks: ClaimedTask[];
  const clock = new ManualClock();

  beforeEach(async () => {
    store = await freshStore(dialect);
    engine = engineStore(store);
    await applySeed(store, testSeed(), clock);
    for (const [i, clusterId] of CLUSTERS.entries()) {
      await insertUpgradeTask(
        store.db,
        newTaskRow(`task-${i}`, clusterId, clock.nowMicros(), {
          request: JSON.stringify(action),
          failure_reason: "earlier",
          created_at: clock.nowMicros() + i,
        }),
      );
    }
    tasks = await engine.claimRunnableTasks("a", clock.nowMicros(), TTL_MICROS, 10);
    tasks.sort((x, y) => x.id.localeCompare(y.id));
  });
  afterEach(async () => store.close());

  const running = (marker: string, progress: number): TaskChange => ({
    phase: "Running",
    plan: plan(marker),
    cursor: 1,
    progress,
    honourPause: true,
    planIfPaused: () => plan(`${marker}-paused`),
  });
  /** The three commits at once; they must share one transaction (none rolled back and written alone). */
  async function commitAll(changes: readonly TaskChange[]): Promise<CommitOutcome[]> {
    const transactions = vi.spyOn(store.db, "transaction");
    const outcomes = await Promise.all(
      tasks.map((task, i) => engine.commit(task.lease, changes[i] as TaskChange, clock.nowMicros())),
    );
    expect(transactions).toHaveBeenCalledTimes(1);
    transactions.mockRestore();
    return outcomes;
  }
  const taskRow = (id: string) =>
    store.db.selectFrom("upgrade_tasks").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const clusterRow = (id: string) =>
    store.db.selectFrom("clusters").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const nodeVersions = async () =>
    (await store.db.selectFrom("nodes").select("version").where("cluster_id", "=", CLUSTER).execute()).map(
      (n) => n.version,
    );

  it("claims the three tasks, so each test below commits three at once", () => {
    expect(tasks.map((task) => task.id)).toEqual(["task-0", "task-1", "task-2"]);
  });

  it("writes nothing for a commit whose lease was taken over, while its batch-mates commit", async () => {
    // task-0 (on CLUSTER, with its nodes) is taken over by another worker before the batch.
    await store.db
      .updateTable("upgrade_tasks")
      .set({ lease_owner: "b", fence: (eb) => eb("fence", "+", 1) })
      .where("id", "=", "task-0")
      .execute();
    const nodes = await store.db.selectFrom("nodes").select("id").where("cluster_id", "=", CLUSTER).execute();
    const before = await taskRow("task-0");
    const reachedNodes = nodes.map((node) => ({ kind: "node" as const, key: node.id, version: "v1.29.15-r50" }));
    const upgrading = { phase: "Upgrading", statusReason: null };
    const outcomes = await commitAll([
      { ...running("zero", 900), reached: reachedNodes, cluster: upgrading },
      { ...running("one", 900), cluster: upgrading },
      { ...running("two", 900), cluster: upgrading },
    ]);
    expect(outcomes).toEqual(["lost", { phase: "Running" }, { phase: "Running" }]);
    expect(await taskRow("task-0")).toEqual(before);
    expect(await nodeVersions()).toEqual(nodes.map(() => "v1.28.15-r30"));
    expect((await clusterRow(CLUSTER)).phase).toBe("Available");
    for (const [i, id] of ["task-1", "task-2"].entries()) {
      expect(await taskRow(id)).toMatchObject({
        plan: JSON.stringify(plan(["one", "two"][i] as string)),
        step_cursor: 1,
        progress: 900,
        lease_owner: "a",
        fence: tasks[i + 1]?.lease.fence,
        failure_reason: "earlier",
        completed_at: null,
      });
    }
    expect((await clusterRow(OLD_CLUSTER)).phase).toBe("Upgrading");
    expect((await clusterRow(OTHER_CLUSTER)).phase).toBe("Upgrading");
  });

  it("turns a pending pause into Pause for its own task only, with the plan as it was between steps", async () => {
    await store.db
      .updateTable("upgrade_tasks")
      .set({ requested_control: "pause" })
      .where("id", "!=", "task-2")
      .execute();
    const outcomes = await commitAll([
      running("zero", 100),
      { ...running("one", 100), honourPause: false },
      running("two", 100),
    ]);
    expect(outcomes).toEqual([{ phase: "Pause" }, { phase: "Running" }, { phase: "Running" }]);
    expect(await taskRow("task-0")).toMatchObject({
      phase: "Pause",
      plan: JSON.stringify(plan("zero-paused")),
      requested_control: null,
      lease_owner: null,
      lease_expires_at: null,
    });
    expect(await taskRow("task-1")).toMatchObject({
      phase: "Running",
      plan: JSON.stringify(plan("one")),
      requested_control: "pause",
      lease_owner: "a",
    });
    expect(await taskRow("task-2")).toMatchObject({ phase: "Running", requested_control: null, lease_owner: "a" });
  });

  it("never lets a task's progress go back, each against its own row", async () => {
    await commitAll([running("a", 500), running("a", 200), running("a", 700)]);
    await commitAll([running("b", 100), running("b", 300), running("b", 900)]);
    const progress = await Promise.all(["task-0", "task-1", "task-2"].map(async (id) => (await taskRow(id)).progress));
    expect(progress).toEqual([500, 300, 900]);
  });

  it("bumps each fence once per commit, so the next commit under the same lease holds", async () => {
    const fences = tasks.map((task) => task.lease.fence);
    await commitAll([running("a", 1), running("a", 1), running("a", 1)]);
    expect(tasks.map((task) => task.lease.fence)).toEqual(fences.map((fence) => fence + 1));
    for (const task of tasks) expect((await taskRow(task.id)).fence).toBe(task.lease.fence);
    expect(await commitAll([running("b", 2), running("b", 2), running("b", 2)])).toEqual(
      Array(3).fill({ phase: "Running" }),
    );
  });

  it("finishes tasks together: completion, failure reason, reached versions and the clusters' new versions", async () => {
    const nodes = await store.db.selectFrom("nodes").select("id").where("cluster_id", "=", CLUSTER).execute();
    const success = (marker: string): TaskChange => ({
      phase: "Success",
      plan: plan(marker),
      cursor: 5,
      progress: 10_000,
      honourPause: false,
      completedAt: clock.nowMicros(),
      failureReason: null,
      cluster: { phase: "Available", version: "v1.29.15-r50", platformVersion: "cce.12.0", statusReason: null },
    });
    await store.db.updateTable("clusters").set({ control_plane_version: "v1.29.15-r50" }).execute();
    const outcomes = await commitAll([
      {
        ...success("zero"),
        reached: [
          ...nodes.map((node) => ({ kind: "node" as const, key: node.id, version: "v1.29.15-r50" })),
          { kind: "addon", key: "coredns", version: "1.29.1" },
        ],
      },
      {
        ...running("one", 300),
        failureReason: "step 2 failed once",
        cluster: { phase: "Upgrading", statusReason: "x" },
      },
      success("two"),
    ]);
    expect(outcomes).toEqual([{ phase: "Success" }, { phase: "Running" }, { phase: "Success" }]);
    expect(await nodeVersions()).toEqual(nodes.map(() => "v1.29.15-r50"));
    const addons = await store.db.selectFrom("addons").selectAll().where("cluster_id", "=", CLUSTER).execute();
    expect(Object.fromEntries(addons.map((a) => [a.name, a.version]))).toEqual({
      coredns: "1.29.1",
      autoscaler: "1.28.22",
    });
    expect(await taskRow("task-0")).toMatchObject({
      phase: "Success",
      completed_at: clock.nowMicros(),
      failure_reason: null,
      lease_owner: null,
    });
    expect(await taskRow("task-1")).toMatchObject({ completed_at: null, failure_reason: "step 2 failed once" });
    expect(await clusterRow(CLUSTER)).toMatchObject({
      version: "v1.29.15-r50",
      control_plane_version: null,
      platform_version: "cce.12.0",
    });
    expect(await clusterRow(OLD_CLUSTER)).toMatchObject({
      phase: "Upgrading",
      status_reason: "x",
      version: "v1.19.16-r4",
      control_plane_version: "v1.29.15-r50",
    });
  });

  it("commits three tasks in as many statements as one, with reached targets and clusters", async () => {
    const reaching = (marker: string): TaskChange => ({
      ...running(marker, 10),
      reached: [
        { kind: "node", key: `${marker}-node`, version: "v1.29.15-r50" },
        { kind: "master", key: "master", version: "v1.29.15-r50" },
        { kind: "addon", key: "coredns", version: "1.29.1" },
      ],
      cluster: { phase: "Upgrading", statusReason: null },
    });
    const commitsOf = (leases: readonly Lease[]) =>
      statementsOf(store.db, async (trx) => {
        const commits = leases.map((lease) => ({
          lease,
          change: reaching(lease.taskId),
          nowMicros: clock.nowMicros(),
        }));
        expect(await TASK_COMMITS[dialect].writeAll(trx, commits)).not.toContain("lost");
      });
    const [first, ...others] = tasks.map((task) => task.lease);
    if (!first) throw new Error("no task claimed");
    const one = await commitsOf([first]);
    const three = await commitsOf([{ ...first, fence: first.fence + 1 }, ...others]);
    expect(one).toBeLessThanOrEqual(6);
    expect(three).toBe(one);
  });
});
