// Engine throughput: many simulated upgrades at once with zero step durations, beside the raw durable single-row
// commit rate of the same database, measured in the same run.
// Usage: npm run bench:engine -- [--clusters 1000] [--nodes 20] [--dialect sqlite|postgres] [--concurrency 256]
//        [--replicas N]: N engine processes on the same database (PostgreSQL), instead of one in this process.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { systemClock } from "../src/domain/clock.js";
import type { UpgradePlan } from "../src/domain/upgrade-plan.js";
import { SimulatorDriver } from "../src/drivers/simulator.js";
import { UpgradeEngine } from "../src/engine/upgrade-engine.js";
import { openStore, type Store } from "../src/store/database.js";
import { engineStore } from "../src/store/engine-store.js";
import { migrateToLatest } from "../src/store/migrate.js";
import { applySeed } from "../src/store/seed-file.js";
import { simulatedClusterStore } from "../src/store/simulated-cluster-store.js";
import { clustersSeed, queueUpgrades } from "./upgrade-fixtures.js";

const { values } = parseArgs({
  options: {
    clusters: { type: "string", default: "1000" },
    nodes: { type: "string", default: "20" },
    dialect: { type: "string", default: "sqlite" },
    concurrency: { type: "string", default: "256" },
    "commit-seconds": { type: "string", default: "3" },
    replicas: { type: "string", default: "0" },
  },
});
const clusters = Number(values.clusters);
const nodes = Number(values.nodes);
const concurrency = Number(values.concurrency);

function databaseUrl(): string {
  if (values.dialect === "sqlite") return `sqlite:${join(mkdtempSync(join(tmpdir(), "cce-bench-")), "bench.db")}`;
  const url = new URL(process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test");
  url.searchParams.set("schema", `bench_${Date.now()}`);
  return url.toString();
}

/** Commits per second of single-row autocommit inserts: the durable write rate of this database. */
async function rawCommitRate(store: Store, seconds: number): Promise<number> {
  await sql`create table bench_commits (id text primary key, at bigint not null)`.execute(store.db);
  const until = performance.now() + seconds * 1000;
  let commits = 0;
  while (performance.now() < until) {
    await sql`insert into bench_commits (id, at) values (${randomUUID()}, ${Date.now()})`.execute(store.db);
    commits += 1;
  }
  return commits / seconds;
}

interface RunningEngine {
  /** Stops the engine(s); the peak RSS in MiB. */
  stop(): Promise<number>;
}

function startInProcess(store: Store): RunningEngine {
  const clock = systemClock();
  const logger = { info() {}, warn() {}, error: (fields: object, message: string) => console.error(message, fields) };
  const engine = new UpgradeEngine(
    engineStore(store),
    new SimulatorDriver(simulatedClusterStore(store, clock), clock, { speed: Number.POSITIVE_INFINITY }),
    clock,
    {
      owner: "bench",
      concurrency,
      projectShare: 0.5,
      leaseTtlMs: 60_000,
      pollIntervalMs: 10,
      maxStepAttempts: 1,
      retryBackoffMs: 0,
    },
    logger,
  );
  engine.start();
  return {
    async stop() {
      await engine.stop(1000);
      return process.resourceUsage().maxRSS / 1024;
    },
  };
}

async function startReplicas(url: string, count: number): Promise<RunningEngine> {
  const workers = await Promise.all(
    Array.from({ length: count }, async () => {
      const child = spawn(process.execPath, ["--import", "tsx", "bench/engine-worker.ts"], {
        env: { ...process.env, DATABASE_URL: url, CONCURRENCY: String(concurrency) },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => {
        output += chunk;
      });
      while (!output.includes("engine started")) await new Promise((resolve) => setTimeout(resolve, 20));
      return { child, output: () => output };
    }),
  );
  return {
    async stop() {
      const rss = await Promise.all(
        workers.map(async ({ child, output }) => {
          const exited = once(child, "exit");
          child.kill("SIGTERM");
          await exited;
          return Number(/peak-rss-mib (\d+)/.exec(output())?.[1] ?? 0);
        }),
      );
      return Math.max(...rss);
    },
  };
}

async function main(): Promise<void> {
  const url = databaseUrl();
  const store = await openStore(url);
  await migrateToLatest(store);
  const clock = systemClock();
  const commitRate = await rawCommitRate(store, Number(values["commit-seconds"]));
  await applySeed(store, clustersSeed(clusters, nodes), clock);
  await queueUpgrades(store, clusters);

  const replicas = Number(values.replicas);
  const engine = replicas > 0 ? await startReplicas(url, replicas) : startInProcess(store);
  const started = performance.now();
  for (;;) {
    const row = await store.db
      .selectFrom("upgrade_tasks")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("phase", "=", "Success")
      .executeTakeFirstOrThrow();
    if (Number(row.n) === clusters) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  const peakRssMiB = await engine.stop();

  const plans = await store.db.selectFrom("upgrade_tasks").select("plan").execute();
  const steps = plans.reduce(
    (sum, row) => sum + (JSON.parse(row.plan ?? '{"steps":[]}') as UpgradePlan).steps.length,
    0,
  );
  const transitions = steps * 2;
  await store.close();

  const rows = [
    ["database", values.dialect],
    ["clusters × nodes", `${clusters} × ${nodes}`],
    ["engine concurrency", `${concurrency}${replicas > 0 ? ` in each of ${replicas} processes` : ""}`],
    ["raw single-row commits/s", commitRate.toFixed(0)],
    ["upgrades completed", String(clusters)],
    ["steps (Init→Running→Success each)", String(steps)],
    ["step transitions/s", (transitions / seconds).toFixed(0)],
    ["ratio to raw commits/s", (transitions / seconds / commitRate).toFixed(2)],
    ["node upgrades/s", ((clusters * nodes) / seconds).toFixed(0)],
    ["wall time (s)", seconds.toFixed(1)],
    ["peak RSS (MiB)", replicas > 0 ? `${peakRssMiB.toFixed(0)} (largest replica)` : peakRssMiB.toFixed(0)],
  ];
  const width = Math.max(...rows.map(([k]) => (k as string).length));
  for (const [key, value] of rows) console.log(`${(key as string).padEnd(width)}  ${value}`);
}

await main();
