import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/store/database.js";
import { appliesPerTarget } from "../support/apply-log.js";
import { DIALECTS, freshDatabaseUrl } from "../support/databases.js";
import { PROJECT, TOKEN, upgradeBody } from "../support/fixtures.js";
import { type ServiceProcess, startService } from "../support/service-process.js";
import { manyClustersSeed } from "../support/system.js";

const CLUSTERS = 200;
const NODES = 3;
const REPLICAS = 3;
const KILLS = 6;
const headers = { "x-auth-token": TOKEN, "content-type": "application/json" };
const clusterId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Counts {
  readonly phases: Record<string, number>;
}

async function phaseCounts(url: string): Promise<Counts> {
  const store = await openStore(url);
  try {
    const rows = await store.db
      .selectFrom("upgrade_tasks")
      .select(["phase", (eb) => eb.fn.countAll<number>().as("n")])
      .groupBy("phase")
      .execute();
    return { phases: Object.fromEntries(rows.map((r) => [r.phase, Number(r.n)])) };
  } finally {
    await store.close();
  }
}

describe.runIf(DIALECTS.includes("postgres"))("three replicas on PostgreSQL under SIGKILL", () => {
  it(`runs ${CLUSTERS} upgrades to Success while replicas are killed and restarted, each node upgraded once`, async () => {
    const seedFile = join(mkdtempSync(join(tmpdir(), "cce-chaos-")), "seed.json");
    writeFileSync(seedFile, JSON.stringify(manyClustersSeed(CLUSTERS, NODES)));
    const env = {
      DATABASE_URL: freshDatabaseUrl("postgres"),
      SEED_FILE: seedFile,
      SIM_SPEED: "60",
      LEASE_TTL_MS: "1000",
      ENGINE_POLL_MS: "50",
      ENGINE_CONCURRENCY: "8",
      SHUTDOWN_GRACE_MS: "200",
    };
    const replicas: ServiceProcess[] = [];
    try {
      await runChaos(env, replicas);
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop("SIGKILL")));
    }
  }, 240_000);
});

/** Starts the replicas, queues the upgrades, kills and restarts replicas, waits, then checks the record. */
async function runChaos(
  env: Record<string, string> & { DATABASE_URL: string },
  replicas: ServiceProcess[],
): Promise<void> {
  for (let i = 0; i < REPLICAS; i++) replicas.push(await startService(env));

  for (let i = 0; i < CLUSTERS; i++) {
    const replica = replicas[i % REPLICAS] as ServiceProcess;
    const response = await fetch(
      `${replica.address}/api/v3/projects/${PROJECT}/clusters/${clusterId(i)}/operation/upgrade`,
      {
        method: "POST",
        headers,
        body: JSON.stringify(upgradeBody("v1.29")),
      },
    );
    expect(response.status).toBe(200);
  }

  let kills = 0;
  let drains = 0;
  for (let round = 0; round < KILLS; round++) {
    await sleep(400 + Math.random() * 800);
    const victim = Math.floor(Math.random() * REPLICAS);
    // Most rounds kill without warning; every third drains with SIGTERM, which must hand tasks over unfailed.
    const signal = round % 3 === 2 ? "SIGTERM" : "SIGKILL";
    const code = await (replicas[victim] as ServiceProcess).stop(signal);
    if (signal === "SIGTERM") {
      expect(code).toBe(0);
      drains += 1;
    } else kills += 1;
    replicas[victim] = await startService(env);
  }

  const deadline = Date.now() + 90_000;
  let counts = await phaseCounts(env.DATABASE_URL);
  while ((counts.phases.Success ?? 0) < CLUSTERS && Date.now() < deadline) {
    await sleep(500);
    counts = await phaseCounts(env.DATABASE_URL);
  }
  const store = await openStore(env.DATABASE_URL);
  try {
    const perTaskNode = await appliesPerTarget(store, "node");
    const applies = await store.db.selectFrom("simulator_apply_log").select(["step_kind"]).execute();
    const leftovers = await store.db
      .selectFrom("upgrade_tasks")
      .select("id")
      .where("lease_owner", "is not", null)
      .execute();
    const nodeApplies = [...perTaskNode.values()].reduce((sum, n) => sum + n, 0);
    console.info(
      `chaos: ${REPLICAS} replicas, ${kills} SIGKILLs, ${drains} SIGTERM drains, ${CLUSTERS} upgrades, phases ${JSON.stringify(counts.phases)}, ` +
        `${nodeApplies} node applies for ${CLUSTERS * NODES} nodes (apply log), ${applies.length} simulator applies`,
    );
    const byStep: Record<string, number> = {};
    for (const a of applies) byStep[a.step_kind] = (byStep[a.step_kind] ?? 0) + 1;
    console.info(`applies by step ${JSON.stringify(byStep)}`);
    expect(counts.phases).toEqual({ Success: CLUSTERS });
    expect(perTaskNode.size).toBe(CLUSTERS * NODES);
    expect([...perTaskNode].filter(([, n]) => n !== 1)).toEqual([]);
    expect(leftovers).toEqual([]);
  } finally {
    await store.close();
  }
}
