import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planUpgrade } from "../../src/domain/upgrade-plan.js";
import { normalizeUpgradeAction } from "../../src/domain/upgrade-request.js";
import type { EngineStore, TaskChange } from "../../src/engine/ports.js";
import { engineStore } from "../../src/store/engine-store.js";
import { applySeed } from "../../src/store/seed-file.js";
import { insertUpgradeTask } from "../../src/store/upgrade-task-queries.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import { CLUSTER, ManualClock, PROJECT, testSeed } from "../support/fixtures.js";

const TTL_MICROS = 10_000_000;
const action = normalizeUpgradeAction(
  { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } },
  "v1.29.15-r50",
);

describe.each(DIALECTS)("the engine's lease protocol on %s", (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let engine: EngineStore;
  const clock = new ManualClock();

  beforeEach(async () => {
    store = await freshStore(dialect);
    engine = engineStore(store);
    await applySeed(store, testSeed(), clock);
    await insertUpgradeTask(store.db, {
      id: "task-1",
      project_id: PROJECT,
      cluster_id: CLUSTER,
      phase: "Queuing",
      from_version: "v1.28.15-r30",
      target_version: "v1.29.15-r50",
      target_platform_version: "cce.12.0",
      request: JSON.stringify(action),
      plan: null,
      failure_reason: null,
      requested_control: null,
      lease_owner: null,
      lease_expires_at: null,
      created_at: clock.nowMicros(),
      updated_at: clock.nowMicros(),
      completed_at: null,
    });
  });
  afterEach(async () => store.close());

  const change = async (): Promise<TaskChange> => {
    const inventory = await engine.clusterInventory(CLUSTER);
    const plan = planUpgrade({
      ...inventory,
      clusterVersion: inventory.version,
      targetVersion: "v1.29.15-r50",
      action,
    });
    return { phase: "Running", plan, cursor: 1, progress: 500, honourPause: true };
  };

  it("gives a task to one worker at a time until its lease expires", async () => {
    const [a] = await engine.claimRunnableTasks("a", clock.nowMicros(), TTL_MICROS, 10);
    expect(a?.lease).toMatchObject({ taskId: "task-1", owner: "a" });
    expect(await engine.claimRunnableTasks("b", clock.nowMicros(), TTL_MICROS, 10)).toEqual([]);
    clock.advanceMs(9_999);
    expect(await engine.claimRunnableTasks("b", clock.nowMicros(), TTL_MICROS, 10)).toEqual([]);
    clock.advanceMs(1);
    const [b] = await engine.claimRunnableTasks("b", clock.nowMicros(), TTL_MICROS, 10);
    expect(b?.lease.owner).toBe("b");
  });

  it("fences out a worker whose lease was taken over: its commits and renewals change nothing", async () => {
    const [a] = await engine.claimRunnableTasks("a", clock.nowMicros(), TTL_MICROS, 10);
    if (!a) throw new Error("no claim");
    expect(await engine.commit(a.lease, await change(), clock.nowMicros())).toEqual({ phase: "Running" });
    clock.advanceMs(10_000);
    const [b] = await engine.claimRunnableTasks("b", clock.nowMicros(), TTL_MICROS, 10);
    if (!b) throw new Error("no takeover");
    expect(b.cursor).toBe(1);
    expect(b.plan?.steps.length).toBeGreaterThan(0);

    expect(await engine.renewLease(a.lease, clock.nowMicros() + TTL_MICROS)).toBe(false);
    expect(await engine.commit(a.lease, { ...(await change()), cursor: 5, phase: "Failed" }, clock.nowMicros())).toBe(
      "lost",
    );
    await engine.releaseLease(a.lease);
    const row = await store.db
      .selectFrom("upgrade_tasks")
      .selectAll()
      .where("id", "=", "task-1")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ phase: "Running", step_cursor: 1, lease_owner: "b" });
    expect(await engine.renewLease(b.lease, clock.nowMicros() + TTL_MICROS)).toBe(true);
  });

  it("releases a lease without changing the phase, so another worker resumes at once", async () => {
    const [a] = await engine.claimRunnableTasks("a", clock.nowMicros(), TTL_MICROS, 10);
    if (!a) throw new Error("no claim");
    await engine.commit(a.lease, await change(), clock.nowMicros());
    await engine.releaseLease(a.lease);
    const [b] = await engine.claimRunnableTasks("b", clock.nowMicros(), TTL_MICROS, 10);
    expect(b).toMatchObject({ phase: "Running", cursor: 1 });
  });

  it("turns a pending pause into Pause at a commit that honours it, and frees the task", async () => {
    const [a] = await engine.claimRunnableTasks("a", clock.nowMicros(), TTL_MICROS, 10);
    if (!a) throw new Error("no claim");
    await store.db.updateTable("upgrade_tasks").set({ requested_control: "pause" }).execute();
    expect(await engine.commit(a.lease, { ...(await change()), honourPause: false }, clock.nowMicros())).toEqual({
      phase: "Running",
    });
    expect(await engine.commit(a.lease, await change(), clock.nowMicros())).toEqual({ phase: "Pause" });
    const row = await store.db
      .selectFrom("upgrade_tasks")
      .selectAll()
      .where("id", "=", "task-1")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ phase: "Pause", requested_control: null, lease_owner: null });
    clock.advanceMs(60_000);
    expect(await engine.claimRunnableTasks("b", clock.nowMicros(), TTL_MICROS, 10)).toEqual([]);
  });

  it("never lets progress go backwards", async () => {
    const [a] = await engine.claimRunnableTasks("a", clock.nowMicros(), TTL_MICROS, 10);
    if (!a) throw new Error("no claim");
    await engine.commit(a.lease, await change(), clock.nowMicros());
    await engine.commit(a.lease, { ...(await change()), progress: 100 }, clock.nowMicros());
    const row = await store.db.selectFrom("upgrade_tasks").select("progress").executeTakeFirstOrThrow();
    expect(row.progress).toBe(500);
  });
});
