import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { UpgradeTaskPhase } from "../../src/domain/upgrade-task.js";
import { findCluster, listAddons, listClusters, listNodePools, listNodes } from "../../src/store/cluster-queries.js";
import { findTokenGrant, insertApiToken } from "../../src/store/credential-queries.js";
import { readDemoSeed } from "../../src/store/demo-seed.js";
import { isSchemaCurrent, migrateToLatest, SchemaTooNewError } from "../../src/store/migrate.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { sha256Hex } from "../../src/store/passwords.js";
import { applySeed, parseSeed, SeedFileError, SeedFileSchema } from "../../src/store/seed-file.js";
import {
  ActiveUpgradeExistsError,
  findUpgradeTask,
  insertUpgradeTask,
  listUpgradeTasks,
  type NewUpgradeTask,
} from "../../src/store/upgrade-task-queries.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import { CLUSTER, ManualClock, OTHER_PROJECT, PROJECT, TOKEN, testSeed } from "../support/fixtures.js";

type TestStore = Awaited<ReturnType<typeof freshStore>>;

function newTask(id: string, phase: UpgradeTaskPhase, createdAt: number): NewUpgradeTask {
  return {
    id,
    project_id: PROJECT,
    cluster_id: CLUSTER,
    phase,
    from_version: "v1.28.15-r30",
    target_version: "v1.29.15-r50",
    target_platform_version: "cce.12.0",
    request: "{}",
    plan: null,
    failure_reason: null,
    requested_control: null,
    lease_owner: null,
    lease_expires_at: null,
    created_at: createdAt,
    updated_at: createdAt,
    completed_at: phase === "Success" ? createdAt : null,
  };
}

describe.each(DIALECTS)("store on %s", (dialect) => {
  let store: TestStore;
  const clock = new ManualClock();

  beforeEach(async () => {
    store = await freshStore(dialect);
    await applySeed(store, testSeed(), clock);
  });
  afterEach(async () => store.close());

  describe("migrations", () => {
    it("are current after migrating, and migrating again changes nothing", async () => {
      expect(await isSchemaCurrent(store)).toBe(true);
      await migrateToLatest(store);
      expect(await isSchemaCurrent(store)).toBe(true);
    });

    it("refuse a database whose schema is newer than the code, naming both versions", async () => {
      await sql`insert into schema_migrations (name, timestamp) values ('9999-from-the-future', '2030-01-01')`.execute(
        store.db,
      );
      await expect(migrateToLatest(store)).rejects.toThrow(SchemaTooNewError);
      const latest = Object.keys(MIGRATIONS).at(-1);
      await expect(migrateToLatest(store)).rejects.toThrow(new RegExp(`9999-from-the-future.*${latest}`));
    });
  });

  describe("seed", () => {
    it("creates projects, clusters, pools, nodes with their own versions, and add-ons", async () => {
      const cluster = await findCluster(store.db, PROJECT, CLUSTER);
      expect(cluster).toMatchObject({ name: "prod-a", version: "v1.28.15-r30", platform_version: "cce.10.0" });
      expect(cluster?.phase).toBe("Available");
      expect((await listNodePools(store.db, CLUSTER)).map((p) => p.id).sort()).toEqual(["DefaultPool", "pool-b"]);
      const nodes = await listNodes(store.db, CLUSTER);
      expect(nodes).toHaveLength(5);
      expect(nodes.every((n) => n.version === "v1.28.15-r30" && n.status === "Active")).toBe(true);
      expect(JSON.parse(nodes.find((n) => n.pool_id === "pool-b")?.labels ?? "{}")).toMatchObject({ role: "batch" });
      expect((await listAddons(store.db, CLUSTER)).map((a) => a.name)).toEqual(["autoscaler", "coredns"]);
    });

    it("is idempotent: applying it again duplicates and resets nothing", async () => {
      await store.db.updateTable("clusters").set({ version: "v1.29.15-r50" }).where("id", "=", CLUSTER).execute();
      await applySeed(store, testSeed(), clock);
      expect((await findCluster(store.db, PROJECT, CLUSTER))?.version).toBe("v1.29.15-r50");
      expect(await listNodes(store.db, CLUSTER)).toHaveLength(5);
      expect(await listClusters(store.db, PROJECT)).toHaveLength(2);
    });

    it("rejects an invalid document, naming the offending key", () => {
      const seed = testSeed() as unknown as { projects: { clusters: { version: string }[]; id: string }[] };
      expect(() => parseSeed({ projects: [{ ...seed.projects[0], id: "nothex" }] }, "s.json")).toThrow(
        /s\.json: \/projects\/0\/id/,
      );
      const badVersion = structuredClone(seed);
      (badVersion.projects[0]?.clusters[0] as { version: string }).version = "v9.9";
      expect(() => parseSeed(badVersion, "s.json")).toThrow(SeedFileError);
      expect(() => parseSeed({ projects: [], extra: 1 }, "s.json")).toThrow("s.json: /extra is not a known key");
    });
  });

  describe("queries", () => {
    it("keeps another project's clusters invisible", async () => {
      expect(await findCluster(store.db, OTHER_PROJECT, CLUSTER)).toBeUndefined();
      expect((await listClusters(store.db, PROJECT, { version: "v1.19.16-r4" })).map((c) => c.name)).toEqual([
        "legacy",
      ]);
      expect(await listClusters(store.db, PROJECT, { phase: "Upgrading" })).toEqual([]);
    });

    it("finds a token's project and expiry by its hash", async () => {
      const now = clock.nowMicros();
      expect(await findTokenGrant(store.db, sha256Hex(TOKEN))).toEqual({ projectId: PROJECT, expiresAt: null });
      expect(await findTokenGrant(store.db, sha256Hex("nope"))).toBeUndefined();
      await insertApiToken(store.db, sha256Hex("short-lived"), PROJECT, now + 10, now);
      expect(await findTokenGrant(store.db, sha256Hex("short-lived"))).toEqual({
        projectId: PROJECT,
        expiresAt: now + 10,
      });
    });
  });

  describe("upgrade tasks", () => {
    it.each(["Init", "Queuing", "Running", "Pause", "Failed"] as const)(
      "allow only one active task per cluster (a %s task blocks the next)",
      async (phase) => {
        await insertUpgradeTask(store.db, newTask("a", phase, 1));
        await expect(insertUpgradeTask(store.db, newTask("b", "Init", 2))).rejects.toThrow(ActiveUpgradeExistsError);
      },
    );

    it("let finished tasks pile up beside one active task, listed newest first", async () => {
      await insertUpgradeTask(store.db, newTask("old", "Success", 1));
      await insertUpgradeTask(store.db, newTask("older", "Success", 0));
      await insertUpgradeTask(store.db, newTask("current", "Running", 2));
      expect((await listUpgradeTasks(store.db, PROJECT, CLUSTER)).map((t) => t.id)).toEqual([
        "current",
        "old",
        "older",
      ]);
      expect(await findUpgradeTask(store.db, OTHER_PROJECT, CLUSTER, "current")).toBeUndefined();
      const stored = await findUpgradeTask(store.db, PROJECT, CLUSTER, "current");
      expect(stored).toMatchObject({ phase: "Running", progress: 0, step_cursor: 0, fence: 0, created_at: 2 });
    });

    it("store microsecond instants exactly", async () => {
      const instant = Date.UTC(2026, 0, 1) * 1000 + 123_456;
      await insertUpgradeTask(store.db, newTask("t", "Init", instant));
      expect((await findUpgradeTask(store.db, PROJECT, CLUSTER, "t"))?.created_at).toBe(instant);
    });
  });
});

describe("the published seed schema", () => {
  it("docs/seed.schema.json is the schema the service validates with (run `npm run seed-schema` after a change)", () => {
    const published = JSON.parse(readFileSync(new URL("../../docs/seed.schema.json", import.meta.url), "utf8"));
    expect(published).toEqual(JSON.parse(JSON.stringify(SeedFileSchema)));
  });

  it("accepts the demo seed", async () => {
    await expect(readDemoSeed()).resolves.toMatchObject({ projects: [{ name: "demo" }] });
  });
});
