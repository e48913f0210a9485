import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Migrator } from "kysely";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { HookDriverConfig } from "../../src/domain/driver-config.js";
import { openStore } from "../../src/store/database.js";
import { migrateToLatest } from "../../src/store/migrate.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { expectAppliedOnce } from "../support/apply-log.js";
import { DIALECTS, freshDatabaseUrl, POSTGRES_URL } from "../support/databases.js";
import { CLUSTER, PROJECT, profileSeed, upgradeBody } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

type System = Awaited<ReturnType<typeof testSystem>>;
const DRIVER = `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/driver`;
const KUBEADM = { type: "profile", profile: "kubeadm" };
const SIMULATOR = { type: "simulator" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An exec profile that succeeds and appends each request to `file`, one line per call. */
function recordingProfile(file: string): HookDriverConfig {
  return { default: { type: "exec", command: ["/bin/sh", "-c", `tr -d '\\n' >> '${file}'; echo >> '${file}'`] } };
}

async function taskChoice(system: System, taskId: string) {
  const row = await system.store.db
    .selectFrom("upgrade_tasks")
    .select("driver")
    .where("id", "=", taskId)
    .executeTakeFirstOrThrow();
  return row.driver === null ? null : JSON.parse(row.driver);
}

async function clusterChoice(system: System) {
  const row = await system.store.db
    .selectFrom("cluster_drivers")
    .select("config")
    .where("cluster_id", "=", CLUSTER)
    .executeTakeFirst();
  return row && JSON.parse(row.config);
}

/** Changes the cluster's driver behind the API's back, as only the database could. */
async function setClusterChoiceDirectly(system: System, choice: object) {
  await system.store.db
    .insertInto("cluster_drivers")
    .values({ cluster_id: CLUSTER, config: JSON.stringify(choice), updated_at: 0 })
    .onConflict((oc) => oc.column("cluster_id").doUpdateSet({ config: JSON.stringify(choice) }))
    .execute();
}

async function expectNodesAppliedBySimulator(system: System, taskId: string) {
  const nodes = await system.store.db.selectFrom("nodes").select("name").where("cluster_id", "=", CLUSTER).execute();
  await expectAppliedOnce(
    system.store,
    "node",
    nodes.map((n) => `${taskId}/${n.name}`),
  );
}

describe.each(DIALECTS)("a task keeps the driver it was created with, on %s", (dialect) => {
  let system: System;
  afterEach(async () => system?.close());

  it("copies the cluster's choice onto the task row when the task is created", async () => {
    const calls = join(mkdtempSync(join(tmpdir(), "cce-task-driver-")), "calls");
    system = await testSystem(dialect, { startEngine: false, seed: profileSeed({ kubeadm: recordingProfile(calls) }) });
    const onSimulator = await system.startUpgrade(CLUSTER, "v1.29");
    expect(await taskChoice(system, onSimulator)).toEqual(SIMULATOR);

    await system.store.db.deleteFrom("upgrade_tasks").where("id", "=", onSimulator).execute();
    expect((await system.call("PUT", DRIVER, KUBEADM)).status).toBe(200);
    expect(await taskChoice(system, await system.startUpgrade(CLUSTER, "v1.29"))).toEqual(KUBEADM);
  });

  it("runs the simulator it was created with after the cluster's row is changed to a profile", async () => {
    const calls = join(mkdtempSync(join(tmpdir(), "cce-task-driver-")), "calls");
    system = await testSystem(dialect, { startEngine: false, seed: profileSeed({ kubeadm: recordingProfile(calls) }) });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await setClusterChoiceDirectly(system, KUBEADM);

    system.engine.start();
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    await expectNodesAppliedBySimulator(system, taskId);
    expect(existsSync(calls), "the profile's hook was called").toBe(false);
  });

  it("runs the profile it was created with after the cluster's row is changed to the simulator", async () => {
    const calls = join(mkdtempSync(join(tmpdir(), "cce-task-driver-")), "calls");
    system = await testSystem(dialect, { startEngine: false, seed: profileSeed({ kubeadm: recordingProfile(calls) }) });
    expect((await system.call("PUT", DRIVER, KUBEADM)).status).toBe(200);
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await setClusterChoiceDirectly(system, SIMULATOR);

    system.engine.start();
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    const simulated = await system.store.db.selectFrom("simulator_apply_log").select("id").execute();
    expect(simulated, "simulator applies").toEqual([]);
    const requests = readFileSync(calls, "utf8").trim().split("\n");
    expect(requests.some((line) => line.includes(taskId))).toBe(true);
  });

  it("a task from before the copy (no driver on its row) runs the cluster's current choice", async () => {
    const calls = join(mkdtempSync(join(tmpdir(), "cce-task-driver-")), "calls");
    system = await testSystem(dialect, { startEngine: false, seed: profileSeed({ kubeadm: recordingProfile(calls) }) });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    // As a replica older than migration 0011 inserts it.
    await system.store.db.updateTable("upgrade_tasks").set({ driver: null }).where("id", "=", taskId).execute();

    system.engine.start();
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    await expectNodesAppliedBySimulator(system, taskId);
  });

  it("migration 0011 gives every existing task its cluster's choice", async () => {
    const store = await openStore(freshDatabaseUrl(dialect));
    try {
      const names = Object.keys(MIGRATIONS);
      const upTo0011 = Object.entries(MIGRATIONS).slice(0, names.indexOf("0011-task-driver"));
      const before = new Migrator({
        db: store.db,
        provider: { getMigrations: async () => Object.fromEntries(upTo0011) },
        migrationTableName: "schema_migrations",
        migrationLockTableName: "schema_migrations_lock",
        ...(store.schema !== undefined && { migrationTableSchema: store.schema }),
      });
      expect((await before.migrateToLatest()).results?.at(-1)?.migrationName).toBe(upTo0011.at(-1)?.[0]);
      await store.db.insertInto("projects").values({ id: PROJECT, name: "one", created_at: 0 }).execute();
      const clusters = { p: KUBEADM, s: undefined };
      for (const [name, choice] of Object.entries(clusters)) {
        const id = `${name.repeat(8)}-0000-4000-8000-000000000000`;
        await store.db
          .insertInto("clusters")
          .values({
            ...{ id, project_id: PROJECT, name, version: "v1.28.15-r30", platform_version: "cce.11.0" },
            ...{ phase: "Available", flavor: "cce.s1.small", cluster_type: "VirtualMachine", category: "CCE" },
            ...{ description: "", control_plane_version: null, status_reason: null, created_at: 0, updated_at: 0 },
          })
          .execute();
        if (choice) {
          await store.db
            .insertInto("cluster_drivers")
            .values({ cluster_id: id, config: JSON.stringify(choice), updated_at: 0 })
            .execute();
        }
        await store.db
          .insertInto("upgrade_tasks")
          .values({
            ...{ id: `task-${name}`, project_id: PROJECT, cluster_id: id, phase: "Running", plan: null },
            ...{ from_version: "v1.28.15-r30", target_version: "v1.29.15-r50", target_platform_version: "cce.12.0" },
            ...{ request: "{}", failure_reason: null, requested_control: null, lease_owner: null },
            ...{ lease_expires_at: null, created_at: 0, updated_at: 0, completed_at: null },
          })
          .execute();
      }
      await migrateToLatest(store);
      const rows = await store.db.selectFrom("upgrade_tasks").select(["id", "driver"]).orderBy("id").execute();
      expect(rows.map((row) => [row.id, JSON.parse(row.driver ?? "null")])).toEqual([
        ["task-p", KUBEADM],
        ["task-s", SIMULATOR],
      ]);
    } finally {
      await store.close();
    }
  });
});

/**
 * PostgreSQL under READ COMMITTED: a driver PUT checks "no active task" and then writes the choice; an upgrade's insert
 * reads the choice and then inserts the task. Without a shared lock the two interleave as check → read → insert →
 * write: the PUT succeeds over an active task that runs the old choice. Another connection holds the cluster's
 * cluster_drivers row so that the PUT's write waits, and the upgrade is started while it does. (SQLite has one writer:
 * every transaction begins IMMEDIATE, so the two cannot interleave there.)
 */
describe.runIf(DIALECTS.includes("postgres"))("a driver change racing an upgrade's creation on PostgreSQL", () => {
  let system: System;
  let blocker: pg.Client | undefined;
  afterEach(async () => {
    await blocker?.end();
    await system?.close();
  });

  async function waitingBackends(query: string): Promise<number> {
    // Inside its transaction the blocker would see the activity of its first look again and again.
    await (blocker as pg.Client).query("select pg_stat_clear_snapshot()");
    const { rows } = await (blocker as pg.Client).query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike $1",
      [query],
    );
    return rows[0]?.n ?? 0;
  }

  async function until(condition: () => Promise<boolean>, what: string) {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await sleep(10);
    }
  }

  it("the task runs the choice in force when it became active: the PUT comes first or is refused", async () => {
    const calls = join(mkdtempSync(join(tmpdir(), "cce-task-driver-")), "calls");
    system = await testSystem("postgres", {
      startEngine: false,
      seed: profileSeed({ kubeadm: recordingProfile(calls) }),
    });
    expect((await system.call("PUT", DRIVER, SIMULATOR)).status).toBe(200);
    blocker = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${system.store.schema}` });
    await blocker.connect();
    await blocker.query("begin");
    await blocker.query("select 1 from cluster_drivers where cluster_id = $1 for update", [CLUSTER]);

    const put = system.call("PUT", DRIVER, KUBEADM);
    await until(async () => (await waitingBackends("%cluster_drivers%")) > 0, "the PUT waits to write");
    let created = false;
    const upgrade = system
      .call("POST", `${system.clusterPath(CLUSTER)}/operation/upgrade`, upgradeBody("v1.29"))
      .finally(() => {
        created = true;
      });
    await until(
      async () => created || (await waitingBackends('%update "clusters"%')) > 0,
      "the upgrade is created or waits for the cluster",
    );
    await blocker.query("commit");

    const [changed, started] = await Promise.all([put, upgrade]);
    expect(changed.status).toBe(200);
    expect(started.status).toBe(200);
    expect({ task: await taskChoice(system, started.body.uid), cluster: await clusterChoice(system) }).toEqual({
      task: KUBEADM,
      cluster: KUBEADM,
    });
  });
});
