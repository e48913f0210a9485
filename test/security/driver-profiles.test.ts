import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Migrator } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { HookDriverConfig } from "../../src/domain/driver-config.js";
import { openStore } from "../../src/store/database.js";
import { migrateToLatest } from "../../src/store/migrate.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { DIALECTS, freshDatabaseUrl } from "../support/databases.js";
import { CLUSTER, OTHER_CLUSTER, OTHER_PROJECT, OTHER_TOKEN, PROJECT, profileSeed } from "../support/fixtures.js";
import { type HookReceiver, startHookReceiver, webhookSecret } from "../support/hook-receiver.js";
import { testSystem } from "../support/system.js";
import { expectCceError } from "../support/wire.js";

type System = Awaited<ReturnType<typeof testSystem>>;
const DRIVER = `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/driver`;
const SECRET = webhookSecret();
/** A profile whose command lines, URL and secret a tenant must never see. */
const MIXED: HookDriverConfig = {
  default: { type: "exec", command: ["/opt/upgrade/step.sh", "--token=operator-only-4711"] },
  steps: { master: { type: "webhook", url: "https://hooks.operator.example/cce" } },
  secret: SECRET,
};
/** Another project's profile. */
const OTHER_TEAM: HookDriverConfig = { default: { type: "exec", command: ["/opt/other-team/step.sh"] } };

/** The test seed with `kubeadm` and `mixed` for the first project and `other-team` for the second only. */
function seedWith(kubeadm: HookDriverConfig) {
  const seed = profileSeed({ kubeadm, mixed: MIXED, "other-team": OTHER_TEAM });
  const [project, other] = seed.projects;
  if (!project || !other) throw new Error("test seed has two projects");
  project.driverProfiles = ["kubeadm", "mixed"];
  other.driverProfiles = ["other-team"];
  return seed;
}

async function storedChoice(system: System) {
  return system.store.db
    .selectFrom("cluster_drivers")
    .select("config")
    .where("cluster_id", "=", CLUSTER)
    .executeTakeFirst();
}

describe.each(DIALECTS)("driver profiles on %s", (dialect) => {
  let system: System;
  let receiver: HookReceiver | undefined;
  afterEach(async () => {
    await system?.close();
    await receiver?.close();
    receiver = undefined;
  });

  it("refuses a tenant's exec or webhook driver, naming the field; the upgrade never runs the command", async () => {
    system = await testSystem(dialect);
    const marker = join(mkdtempSync(join(tmpdir(), "cce-profiles-")), "pwned");
    const exec = { type: "hook", default: { type: "exec", command: ["/bin/sh", "-c", `id > ${marker}`] } };
    const webhook = {
      type: "hook",
      default: { type: "webhook", url: "http://127.0.0.1:9/hooks" },
      secret: webhookSecret(),
    };
    const smuggled = { type: "profile", profile: "kubeadm", default: exec.default };
    const fields = [
      [exec, "default"],
      [webhook, "default"],
      [smuggled, "default"],
      [{ type: "hook" }, "type"],
      [{ type: "profile" }, "profile"],
      [{ type: "simulator", profile: "kubeadm" }, "profile"],
      [{ type: "profile", profile: "../etc/passwd" }, "profile"],
    ] as const;
    for (const [body, field] of fields) {
      const refused = expectCceError((await system.call("PUT", DRIVER, body)).response, 400, "CCE.01400001");
      expect(refused.errorMessage).toMatch(new RegExp(`^${field}\\b`));
    }
    expect(await storedChoice(system)).toBeUndefined();

    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    expect(existsSync(marker)).toBe(false);
  });

  it("gives the same 400 for another project's profile and for one that does not exist", async () => {
    system = await testSystem(dialect, { startEngine: false, seed: seedWith(MIXED) });
    const refusals = [];
    for (const profile of ["other-team", "no-such-profile"]) {
      const { response } = await system.call("PUT", DRIVER, { type: "profile", profile });
      const body = expectCceError(response, 400, "CCE.01400001");
      expect(body.errorMessage).toMatch(/^profile\b/);
      refusals.push(JSON.stringify(body).replaceAll(profile, "<name>"));
    }
    expect(refusals[0]).toBe(refusals[1]);
    expect(await storedChoice(system)).toBeUndefined();
    // The other project may use its own.
    const other = await system.app.inject({
      method: "PUT",
      url: `/ext/v1/projects/${OTHER_PROJECT}/clusters/${OTHER_CLUSTER}/driver`,
      headers: { "x-auth-token": OTHER_TOKEN },
      payload: { type: "profile", profile: "other-team" },
    });
    expect(other.statusCode).toBe(200);
  });

  it("shows the profile's name and transport kinds, never its command lines, URLs or secret", async () => {
    system = await testSystem(dialect, { startEngine: false, seed: seedWith(MIXED) });
    const expected = {
      type: "profile",
      profile: "mixed",
      available: true,
      transports: { default: "exec", master: "webhook" },
    };
    const put = await system.call("PUT", DRIVER, { type: "profile", profile: "mixed" });
    const got = await system.call("GET", DRIVER);
    for (const answer of [put, got]) {
      expect(answer).toMatchObject({ status: 200, body: expected });
      expect(answer.body).toEqual(expected);
      for (const hidden of ["/opt/upgrade", "operator-only-4711", "hooks.operator.example", SECRET.slice(6)]) {
        expect(answer.response.body).not.toContain(hidden);
      }
    }
  });

  it("runs an upgrade through the chosen profile's hook", async () => {
    const secret = webhookSecret();
    receiver = await startHookReceiver({ secret });
    const kubeadm: HookDriverConfig = {
      default: { type: "webhook", url: receiver.url, timeoutSeconds: 5 },
      secret,
      allowPrivateNetwork: true,
      pollSeconds: 0.02,
    };
    system = await testSystem(dialect, { seed: seedWith(kubeadm) });
    const put = await system.call("PUT", DRIVER, { type: "profile", profile: "kubeadm" });
    expect(put.body).toEqual({
      type: "profile",
      profile: "kubeadm",
      available: true,
      transports: { default: "webhook" },
    });

    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    expect(receiver.rejections).toEqual([]);
    expect(receiver.operationsPerTarget()).toEqual({
      "precheck/precheck": 1,
      "backup/etcd-backup": 1,
      "master/control-plane": 1,
      "node/prod-a-defaultpool-1": 1,
      "node/prod-a-defaultpool-2": 1,
      "node/prod-a-defaultpool-3": 1,
      "node/prod-a-b-1": 1,
      "node/prod-a-b-2": 1,
    });
  });

  it("migration 0006 turns every hook a tenant stored into the simulator", async () => {
    const store = await openStore(freshDatabaseUrl(dialect));
    try {
      const upTo0005 = new Migrator({
        db: store.db,
        provider: { getMigrations: async () => Object.fromEntries(Object.entries(MIGRATIONS).slice(0, 5)) },
        migrationTableName: "schema_migrations",
        migrationLockTableName: "schema_migrations_lock",
        ...(store.schema !== undefined && { migrationTableSchema: store.schema }),
      });
      expect((await upTo0005.migrateToLatest()).results?.at(-1)?.migrationName).toBe("0005-cluster-drivers");
      const stored = {
        a: { type: "hook", default: { type: "exec", command: ["/bin/sh", "-c", "id > /tmp/x"] } },
        b: { type: "hook", default: { type: "webhook", url: "http://169.254.169.254/" }, secret: webhookSecret() },
        c: { type: "simulator" },
      };
      await store.db.insertInto("projects").values({ id: PROJECT, name: "one", created_at: 0 }).execute();
      for (const [name, config] of Object.entries(stored)) {
        const id = `${name.repeat(8)}-0000-4000-8000-000000000000`;
        await store.db
          .insertInto("clusters")
          .values({
            id,
            project_id: PROJECT,
            name,
            version: "v1.28.15-r30",
            platform_version: "cce.11.0",
            phase: "Available",
            flavor: "cce.s1.small",
            cluster_type: "VirtualMachine",
            category: "CCE",
            description: "",
            control_plane_version: null,
            status_reason: null,
            created_at: 0,
            updated_at: 0,
          })
          .execute();
        await store.db
          .insertInto("cluster_drivers")
          .values({ cluster_id: id, config: JSON.stringify(config), updated_at: 0 })
          .execute();
      }

      await migrateToLatest(store);
      const rows = await store.db.selectFrom("cluster_drivers").select("config").execute();
      expect(rows.map((row) => JSON.parse(row.config))).toEqual(Array(3).fill({ type: "simulator" }));
    } finally {
      await store.close();
    }
  });
});
