import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/store/database.js";
import { expectAppliedOnce } from "./apply-log.js";
import { DIALECTS, freshDatabaseUrl } from "./databases.js";
import { PROJECT, TOKEN, upgradeBody } from "./fixtures.js";
import { createClusterBody, createNodePoolBody } from "./lifecycle-bodies.js";
import { startService } from "./service-process.js";
import { manyClustersSeed } from "./system.js";

const CLUSTERS = 6;
const NODES = 4;
const headers = { "x-auth-token": TOKEN, "content-type": "application/json" };
const clusterIds = Array.from({ length: CLUSTERS }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);

function seedFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), "cce-crash-")), "seed.json");
  writeFileSync(path, JSON.stringify(manyClustersSeed(CLUSTERS, NODES)));
  return path;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The crash tests of the service process on each dialect, with the engine on the given thread (ENGINE_THREAD). One
 * test file per thread, so that the two run in parallel.
 */
export function describeCrashSafety(thread: "main" | "worker"): void {
  describe.each(DIALECTS)(`crash safety on %s, engine thread ${thread}`, (dialect) => {
    it("finishes every task after kill -9 mid-upgrade, each node upgraded exactly once per task", async () => {
      const env = {
        DATABASE_URL: freshDatabaseUrl(dialect),
        SEED_FILE: seedFile(),
        SIM_SPEED: "12",
        LEASE_TTL_MS: "800",
        ENGINE_POLL_MS: "50",
        ENGINE_THREAD: thread,
        ENGINE_CONCURRENCY: "3",
      };
      let service = await startService(env);
      const base = `${service.address}/api/v3/projects/${PROJECT}/clusters`;
      const tasks = await Promise.all(
        clusterIds.map(async (cluster) => {
          const response = await fetch(`${base}/${cluster}/operation/upgrade`, {
            method: "POST",
            headers,
            body: JSON.stringify(upgradeBody("v1.29")),
          });
          expect(response.status).toBe(200);
          return { cluster, uid: ((await response.json()) as { uid: string }).uid };
        }),
      );

      const phases = async () =>
        Promise.all(
          tasks.map(async ({ cluster, uid }) => {
            const url = `${service.address}/api/v3/projects/${PROJECT}/clusters/${cluster}/operation/upgrade/tasks/${uid}`;
            const response = await fetch(url, { headers });
            const body = (await response.json()) as { status?: { phase: string } };
            // An acknowledged task must answer across restarts: anything else is the failure itself, shown whole.
            if (!body.status) throw new Error(`task ${uid} answered ${response.status}: ${JSON.stringify(body)}`);
            return body.status.phase;
          }),
        );
      let kills = 0;
      for (const delay of [150, 400]) {
        // The kill must interrupt work, or the test would prove nothing: wait until some task is mid-upgrade.
        while (!(await phases()).includes("Running")) await sleep(50);
        await sleep(delay);
        await service.stop("SIGKILL");
        kills += 1;
        service = await startService(env);
      }

      const deadline = Date.now() + 60_000;
      while ((await phases()).some((phase) => phase !== "Success") && Date.now() < deadline) await sleep(200);
      expect(await phases()).toEqual(Array(CLUSTERS).fill("Success"));
      expect(await service.stop("SIGTERM")).toBe(0);

      const store = await openStore(env.DATABASE_URL);
      try {
        const nodes = await store.db.selectFrom("nodes").select(["cluster_id", "name"]).execute();
        const expectedNodes = tasks.flatMap(({ cluster, uid }) =>
          nodes.filter((n) => n.cluster_id === cluster).map((n) => `${uid}/${n.name}`),
        );
        expect(expectedNodes).toHaveLength(CLUSTERS * NODES);
        await expectAppliedOnce(store, "node", expectedNodes);
        await expectAppliedOnce(
          store,
          "master",
          tasks.map(({ uid }) => `${uid}/control-plane`),
        );
        const versions = await store.db.selectFrom("nodes").select("version").distinct().execute();
        expect(versions.map((v) => v.version)).toEqual(["v1.29.15-r50"]);
        const applies = await store.db.selectFrom("simulator_apply_log").select("id").execute();
        console.info(
          `crash test (${dialect}, ${thread} thread): ${kills} kills, ${CLUSTERS} tasks, ${applies.length} simulator applies, all Success`,
        );
      } finally {
        await store.close();
      }
    }, 120_000);

    it("finishes every acknowledged cluster and node pool job after kill -9, each pool with its nodes once", async () => {
      const env = {
        DATABASE_URL: freshDatabaseUrl(dialect),
        SEED_FILE: seedFile(),
        SIM_SPEED: "10",
        ENGINE_POLL_MS: "50",
        ENGINE_THREAD: thread,
      };
      let service = await startService(env);
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${service.address}/api/v3/projects/${PROJECT}${path}`, { headers, ...init });
      const jobs: string[] = [];
      const clusters: string[] = [];
      for (const name of ["crash-a", "crash-b"]) {
        const body = createClusterBody(name);
        const created = (await (await api("/clusters", { method: "POST", body: JSON.stringify(body) })).json()) as {
          metadata: { uid: string };
          status: { jobID: string };
        };
        clusters.push(created.metadata.uid);
        jobs.push(created.status.jobID);
      }
      const pool = createNodePoolBody("crash-pool", 3);
      const poolResponse = await api(`/clusters/${clusterIds[0]}/nodepools`, {
        method: "POST",
        body: JSON.stringify(pool),
      });
      expect(poolResponse.status).toBe(201);
      const poolId = ((await poolResponse.json()) as { metadata: { uid: string } }).metadata.uid;
      const jobPhases = () =>
        Promise.all(
          jobs.map(
            async (job) => ((await (await api(`/jobs/${job}`)).json()) as { status: { phase: string } }).status.phase,
          ),
        );
      // The kill must interrupt jobs under way, or the test would prove nothing.
      while (!(await jobPhases()).includes("Running")) await sleep(20);
      await service.stop("SIGKILL");
      service = await startService(env);

      const settled = async () => {
        const phases = await Promise.all(
          clusters.map(
            async (id) => ((await (await api(`/clusters/${id}`)).json()) as { status: { phase: string } }).status.phase,
          ),
        );
        const shown = (await (await api(`/clusters/${clusterIds[0]}/nodepools/${poolId}`)).json()) as {
          status: { phase: string; currentNode: number };
        };
        return { phases, pool: shown.status };
      };
      const deadline = Date.now() + 30_000;
      while ((await settled()).pool.phase !== "" || (await settled()).phases.includes("Creating")) {
        if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(await settled())}`);
        await sleep(100);
      }
      expect(await settled()).toMatchObject({
        phases: ["Available", "Available"],
        pool: { phase: "", currentNode: 3 },
      });
      expect(await jobPhases()).toEqual(["Success", "Success"]);
      const nodes = (await (await api(`/clusters/${clusterIds[0]}/nodes`)).json()) as {
        items: { status: { phase: string } }[];
      };
      expect(nodes.items.map((node) => node.status.phase)).toEqual(Array(NODES + 3).fill("Active"));
      expect(await service.stop("SIGTERM")).toBe(0);
    }, 120_000);

    it("SIGTERM hands a task back mid-step without failing it; the next start finishes it", async () => {
      const env = {
        DATABASE_URL: freshDatabaseUrl(dialect),
        SEED_FILE: seedFile(),
        SIM_SPEED: "40",
        LEASE_TTL_MS: "30000",
        ENGINE_POLL_MS: "50",
        ENGINE_THREAD: thread,
        SHUTDOWN_GRACE_MS: "300",
      };
      let service = await startService(env);
      const cluster = clusterIds[0] as string;
      const ext = `${service.address}/ext/v1/projects/${PROJECT}/clusters/${cluster}`;
      await fetch(`${ext}/faults`, {
        method: "POST",
        headers,
        body: JSON.stringify({ step: "master", times: 1, error: "Stall", mode: "stall", stallSeconds: 5 }),
      });
      const response = await fetch(
        `${service.address}/api/v3/projects/${PROJECT}/clusters/${cluster}/operation/upgrade`,
        {
          method: "POST",
          headers,
          body: JSON.stringify(upgradeBody("v1.29")),
        },
      );
      const { uid } = (await response.json()) as { uid: string };
      const planUrl = () =>
        `${service.address}/ext/v1/projects/${PROJECT}/clusters/${cluster}/upgrade/tasks/${uid}/plan`;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const plan = (await (await fetch(planUrl(), { headers })).json()) as { steps: { phase: string }[] };
        if (plan.steps[2]?.phase === "Running") break;
        await sleep(50);
      }
      expect(await service.stop("SIGTERM")).toBe(0);

      const store = await openStore(env.DATABASE_URL);
      const row = await store.db
        .selectFrom("upgrade_tasks")
        .selectAll()
        .where("id", "=", uid)
        .executeTakeFirstOrThrow();
      await store.close();
      expect(row).toMatchObject({ phase: "Running", lease_owner: null, failure_reason: null });

      service = await startService(env);
      const taskUrl = `${service.address}/api/v3/projects/${PROJECT}/clusters/${cluster}/operation/upgrade/tasks/${uid}`;
      let phase = "";
      for (const end = Date.now() + 20_000; Date.now() < end && phase !== "Success"; await sleep(100)) {
        phase = ((await (await fetch(taskUrl, { headers })).json()) as { status: { phase: string } }).status.phase;
      }
      expect(phase).toBe("Success");
      expect(await service.stop("SIGTERM")).toBe(0);
    }, 60_000);
  });
}
