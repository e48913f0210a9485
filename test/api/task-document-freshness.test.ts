import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, OLD_CLUSTER } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

type System = Awaited<ReturnType<typeof testSystem>>;

/**
 * ShowUpgradeClusterTask answers from memory on SQLite: it must still never answer older than a write that was
 * acknowledged, in this process or in another one on the same file.
 */
describe("ShowUpgradeClusterTask after writes on SQLite", () => {
  let system: System | undefined;
  let other: Store | undefined;
  afterEach(async () => {
    await other?.close();
    other = undefined;
    await system?.close();
  });

  const progressAfterEachWrite = async (write: (progress: number) => Promise<unknown>) => {
    const { startUpgrade, task } = system as System;
    const taskId = await startUpgrade(CLUSTER, "v1.29");
    const seen: string[] = [(await task(CLUSTER, taskId)).status.progress];
    for (const progress of [1_000, 2_500, 2_600, 9_999]) {
      // Read twice between writes: the second read is the one memory could answer.
      await task(CLUSTER, taskId);
      await write(progress);
      seen.push((await task(CLUSTER, taskId)).status.progress);
    }
    return { taskId, seen };
  };

  it("answers a write of this process at the next read", async () => {
    system = await testSystem("sqlite", { startEngine: false });
    const { store } = system;
    const { seen } = await progressAfterEachWrite((progress) =>
      store.db.updateTable("upgrade_tasks").set({ progress, phase: "Running" }).execute(),
    );
    expect(seen).toEqual(["0.00", "10.00", "25.00", "26.00", "99.99"]);
  });

  it("answers a commit of another connection to the file (another process) at the next read", async () => {
    system = await testSystem("sqlite", { startEngine: false });
    other = await openStore(system.store.url);
    const writer = other;
    const { seen } = await progressAfterEachWrite((progress) =>
      writer.db.updateTable("upgrade_tasks").set({ progress }).execute(),
    );
    expect(seen).toEqual(["0.00", "10.00", "25.00", "26.00", "99.99"]);
  });

  it("answers a control request's effect at once: pause, then continue, as the engine moves the task", async () => {
    system = await testSystem("sqlite", { speed: 20 });
    const { startUpgrade, task, control } = system;
    const taskId = await startUpgrade(CLUSTER, "v1.29");
    expect((await control(CLUSTER, "pause")).status).toBe(200);
    for (let read = 0; read < 200; read++) {
      const phase = (await task(CLUSTER, taskId)).status.phase;
      if (phase === "Pause") break;
      expect(["Init", "Queuing", "Running"]).toContain(phase);
    }
    expect((await task(CLUSTER, taskId)).status.phase).toBe("Pause");
    expect((await control(CLUSTER, "continue")).status).toBe(200);
    expect((await task(CLUSTER, taskId)).status.phase).not.toBe("Pause");
  });
});

/**
 * On PostgreSQL every replica answers from memory too, forgetting a task when a notification says it changed: across
 * replicas a poller sees a commit once a notification committed after it has been heard, and in the replica that
 * acknowledged a write, at once.
 */
describe.runIf(DIALECTS.includes("postgres"))("ShowUpgradeClusterTask across PostgreSQL replicas", () => {
  let system: System | undefined;
  let writer: Store | undefined;
  afterEach(async () => {
    await writer?.close();
    writer = undefined;
    await system?.close();
  });

  const started = async (options: Parameters<typeof testSystem>[1] = {}) => {
    const registry = new Registry();
    system = await testSystem("postgres", { startEngine: false, metricsRegistry: registry, ...options });
    writer = await openStore(system.store.url);
    const metric = (name: string) => metricValue(system as System, name);
    await until(async () => (await metric("cce_task_changes_listening")) === 1);
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    // Heard from here on: a task's document is kept from its next read, not forgotten when its insert is heard.
    const heardAtLeast = (count: number) => until(async () => (await metric("cce_task_changes_heard_total")) >= count);
    await heardAtLeast(1);
    return { system, writer, taskId, metric, heardAtLeast };
  };

  it("answers another replica's commit once a notification it committed later has been heard", async () => {
    const { system: poller, writer: other, taskId, metric, heardAtLeast } = await started();
    const markerId = await copyTask(other, taskId, OLD_CLUSTER);
    await heardAtLeast(2);
    const seen: string[] = [];
    for (const progress of [1_000, 2_500, 2_600, 9_999]) {
      for (const read of [taskId, taskId, markerId, markerId])
        await poller.task(read === taskId ? CLUSTER : OLD_CLUSTER, read);
      await other.db.updateTable("upgrade_tasks").set({ progress }).where("id", "=", taskId).execute();
      // Notifications arrive in commit order: once the marker's is heard, the task's was.
      await other.db.updateTable("upgrade_tasks").set({ progress }).where("id", "=", markerId).execute();
      await poller.waitForTask(OLD_CLUSTER, markerId, (task) => task.status.progress === percent(progress));
      seen.push((await poller.task(CLUSTER, taskId)).status.progress);
    }
    expect(seen).toEqual(["10.00", "25.00", "26.00", "99.99"]);
    expect(await metric('cce_task_documents_served_total{source="memory"}')).toBeGreaterThanOrEqual(8);
    expect(await metric("cce_task_changes_listening")).toBe(1);
  });

  it("answers its own acknowledged controls at the next read, before any notification", async () => {
    const { system: replica, taskId, metric } = await started();
    const phases: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (const control of ["pause", "continue"] as const) {
        await replica.task(CLUSTER, taskId);
        await replica.task(CLUSTER, taskId);
        expect((await replica.control(CLUSTER, control)).status).toBe(200);
        phases.push((await replica.task(CLUSTER, taskId)).status.phase);
      }
    }
    expect(phases).toEqual(Array.from({ length: 5 }, () => ["Pause", "Queuing"]).flat());
    expect(await metric('cce_task_documents_served_total{source="memory"}')).toBeGreaterThanOrEqual(5);
  });

  it("reads through while its notification connection is down, and answers from memory again once it is back", async () => {
    const retry = { firstMs: 1_500, maxMs: 1_500 };
    const { system: poller, writer: other, taskId, metric } = await started({ store: { listenRetry: retry } });
    await poller.task(CLUSTER, taskId);
    await poller.task(CLUSTER, taskId);
    expect(await metric('cce_task_documents_served_total{source="memory"}')).toBe(1);
    const schema = poller.store.schema as string;
    await sql`select pg_terminate_backend(pid) from pg_stat_activity
      where application_name = ${`cce-task-changes ${schema}`.slice(0, 63)}`.execute(other.db);
    await until(async () => (await metric("cce_task_changes_listening")) === 0);

    await other.db.updateTable("upgrade_tasks").set({ progress: 4_200 }).where("id", "=", taskId).execute();
    expect((await poller.task(CLUSTER, taskId)).status.progress).toBe("42.00");
    expect((await poller.task(CLUSTER, taskId)).status.progress).toBe("42.00");
    // Still down after those reads: they were answered without notifications.
    expect(await metric("cce_task_changes_listening")).toBe(0);

    await until(async () => (await metric("cce_task_changes_listening")) === 1);
    const fromMemory = await metric('cce_task_documents_served_total{source="memory"}');
    await poller.task(CLUSTER, taskId);
    await poller.task(CLUSTER, taskId);
    expect(await metric('cce_task_documents_served_total{source="memory"}')).toBeGreaterThan(fromMemory);
    await other.db.updateTable("upgrade_tasks").set({ progress: 4_300 }).where("id", "=", taskId).execute();
    await poller.waitForTask(CLUSTER, taskId, (task) => task.status.progress === "43.00");
  });
});

const percent = (hundredths: number) => (hundredths / 100).toFixed(2);

/** A second task, on another cluster, as another replica would write it. */
async function copyTask(store: Store, taskId: string, clusterId: string): Promise<string> {
  const row = await store.db.selectFrom("upgrade_tasks").selectAll().where("id", "=", taskId).executeTakeFirstOrThrow();
  const id = randomUUID();
  await store.db
    .insertInto("upgrade_tasks")
    .values({ ...row, id, cluster_id: clusterId, phase: "Running" })
    .execute();
  return id;
}

async function metricValue(system: System, name: string): Promise<number> {
  const body = (await system.app.inject({ url: "/metrics" })).body;
  const line = body.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

/** Polls `done` every 20 ms; fails after 10 s. */
async function until(done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error("the condition did not come true within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
