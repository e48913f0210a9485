import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/store/database.js";
import { expectAppliedOnce } from "../support/apply-log.js";
import { PROJECT, TOKEN, upgradeBody } from "../support/fixtures.js";
import { type ServiceProcess, startService } from "../support/service-process.js";
import { manyClustersSeed } from "../support/system.js";

const CLUSTERS = 30;
const NODES = 3;
const headers = { "x-auth-token": TOKEN, "content-type": "application/json" };
const clusterId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What SQLite says when a connection cannot get its lock, in any of the forms our logs could carry it. */
const LOCK_ERRORS = /database is locked|SQLITE_BUSY/;

async function takeovers(service: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${service.address}/metrics`)).text();
  return Number(/^cce_engine_lease_takeovers_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

describe("two service processes on one SQLite file", () => {
  it(`runs ${CLUSTERS} upgrades to Success with no lock error, no lease takeover and each node applied once`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "cce-sqlite-processes-"));
    const seedFile = join(dir, "seed.json");
    writeFileSync(seedFile, JSON.stringify(manyClustersSeed(CLUSTERS, NODES)));
    const env = {
      DATABASE_URL: `sqlite:${join(dir, "cce.db")}`,
      SEED_FILE: seedFile,
      SIM_SPEED: "200",
      // The default lease (15 s): a process stalled by a busy machine must not count as a crashed run.
      ENGINE_POLL_MS: "20",
      ENGINE_CONCURRENCY: "16",
    };
    const services: ServiceProcess[] = [];
    try {
      // One after the other: both migrate and seed the same file at start-up, which is not what this test is about.
      services.push(await startService(env));
      services.push(await startService(env));

      const created = await Promise.all(
        Array.from({ length: CLUSTERS }, async (_, i) => {
          const service = services[i % services.length] as ServiceProcess;
          const response = await fetch(
            `${service.address}/api/v3/projects/${PROJECT}/clusters/${clusterId(i)}/operation/upgrade`,
            { method: "POST", headers, body: JSON.stringify(upgradeBody("v1.29")) },
          );
          const body = (await response.json()) as { uid?: string; error_code?: string };
          return { cluster: clusterId(i), status: response.status, uid: body.uid, code: body.error_code };
        }),
      );
      const refused = created.filter((task) => task.status !== 200);
      const tasks = created.filter((task) => task.status === 200);

      const store = await openStore(env.DATABASE_URL);
      try {
        const phases = async () => {
          const rows = await store.db.selectFrom("upgrade_tasks").select("phase").execute();
          return rows.map((row) => row.phase);
        };
        const deadline = Date.now() + 60_000;
        while ((await phases()).some((phase) => phase !== "Success") && Date.now() < deadline) await sleep(100);

        const lockLines = services.flatMap((service, i) =>
          service
            .output()
            .split("\n")
            .filter((line) => LOCK_ERRORS.test(line))
            .map((line) => `process ${i}: ${line.slice(0, 300)}`),
        );
        expect(lockLines, "lock errors in the processes' logs").toEqual([]);
        expect(refused, "upgrades refused").toEqual([]);
        expect(await Promise.all(services.map(takeovers)), "lease takeovers per process").toEqual([0, 0]);
        expect(await phases()).toEqual(Array(CLUSTERS).fill("Success"));

        const nodes = await store.db.selectFrom("nodes").select(["cluster_id", "name"]).execute();
        const expectedNodes = tasks.flatMap(({ cluster, uid }) =>
          nodes.filter((n) => n.cluster_id === cluster).map((n) => `${uid}/${n.name}`),
        );
        expect(expectedNodes).toHaveLength(CLUSTERS * NODES);
        await expectAppliedOnce(store, "node", expectedNodes);
      } finally {
        await store.close();
      }
    } finally {
      await Promise.all(services.map((service) => service.stop("SIGKILL")));
    }
  }, 120_000);
});
