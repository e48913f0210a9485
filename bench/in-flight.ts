// Many upgrades in flight at once in one process (API, engine and simulator together), while pollers GET random
// tasks: the peak RSS and the GET latency under that load, beside the same GETs with the engine idle (the baseline,
// measured in the same run, on the same tasks, before the engine starts).
// Usage: npm run bench:in-flight -- [--tasks 10000] [--nodes 20] [--speed 10] [--pollers 8] [--idle-seconds 5]
// --speed 10 makes a simulated node batch take 1 s (the control plane 2 s).
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { buildServer } from "../src/api/server.js";
import { systemClock } from "../src/domain/clock.js";
import { UTC } from "../src/domain/go-time.js";
import { SimulatorDriver } from "../src/drivers/simulator.js";
import { UpgradeEngine } from "../src/engine/upgrade-engine.js";
import { openStore } from "../src/store/database.js";
import { engineStore } from "../src/store/engine-store.js";
import { migrateToLatest } from "../src/store/migrate.js";
import { applySeed } from "../src/store/seed-file.js";
import { simulatedClusterStore } from "../src/store/simulated-cluster-store.js";
import { clusterId, clustersSeed, PROJECT, queueUpgrades } from "./upgrade-fixtures.js";

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "10000" },
    nodes: { type: "string", default: "20" },
    speed: { type: "string", default: "10" },
    pollers: { type: "string", default: "8" },
    "idle-seconds": { type: "string", default: "5" },
    "limit-seconds": { type: "string", default: "600" },
  },
});
const tasks = Number(values.tasks);
const TOKEN = "bench-token-0123456789";
const silent = { info() {}, warn() {}, error: (fields: object, message: string) => console.error(message, fields) };

/** GET latencies in ms and the peak RSS in MiB seen while `until` had not resolved. */
async function poll(base: string, ids: string[], until: Promise<unknown>) {
  const latencies: number[] = [];
  let failures = 0;
  let peakRss = process.memoryUsage().rss;
  let done = false;
  until.then(() => {
    done = true;
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const poller = async () => {
    while (!done) {
      const index = Math.floor(Math.random() * ids.length);
      const url = `${base}/api/v3/projects/${PROJECT}/clusters/${clusterId(index)}/operation/upgrade/tasks/${ids[index]}`;
      const started = performance.now();
      try {
        const response = await fetch(url, { headers: { "x-auth-token": TOKEN } });
        await response.arrayBuffer();
        if (response.status === 200) latencies.push(performance.now() - started);
        else failures += 1;
      } catch {
        // A kept-alive connection the server closed meanwhile: counted, and the poller goes on.
        failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Number(values.pollers) }, poller));
  clearInterval(sampler);
  loopDelay.disable();
  const peakRssMiB = Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20;
  return { latencies, failures, peakRssMiB, loopDelayP99Ms: loopDelay.percentile(99) / 1e6 };
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

function percentile(values: number[], p: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const store = await openStore(`sqlite:${join(mkdtempSync(join(tmpdir(), "cce-bench-in-flight-")), "db")}`);
  await migrateToLatest(store);
  const clock = systemClock();
  await applySeed(store, clustersSeed(tasks, Number(values.nodes), [TOKEN]), clock);
  const ids = await queueUpgrades(store, tasks);
  const app = await buildServer(
    { store, clock, zone: UTC, bodyLimitBytes: 1 << 20, tokenTtlMs: 3_600_000 },
    { logger: false },
  );
  await app.listen({ port: 0, host: "127.0.0.1" });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const idleFor = new Promise((resolve) => setTimeout(resolve, Number(values["idle-seconds"]) * 1000));
  const idle = await poll(base, ids, idleFor);

  const engine = new UpgradeEngine(
    engineStore(store),
    new SimulatorDriver(simulatedClusterStore(store, clock), clock, { speed: Number(values.speed) }),
    clock,
    {
      owner: "bench",
      concurrency: tasks,
      projectShare: 1,
      leaseTtlMs: 60_000,
      pollIntervalMs: 50,
      maxStepAttempts: 3,
      retryBackoffMs: 100,
    },
    silent,
  );
  const started = performance.now();
  engine.start();
  const finished = (async () => {
    const limit = started + Number(values["limit-seconds"]) * 1000;
    while (performance.now() < limit) {
      const row = await store.db
        .selectFrom("upgrade_tasks")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("phase", "=", "Success")
        .executeTakeFirstOrThrow();
      if (Number(row.n) === tasks) return true;
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      const { rss, heapUsed } = process.memoryUsage();
      console.error(`${seconds} s: ${row.n} Success, RSS ${mib(rss)} MiB, heap used ${mib(heapUsed)} MiB`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
    return false;
  })();
  const busy = await poll(base, ids, finished);
  const allSucceeded = await finished;
  const wall = (performance.now() - started) / 1000;
  await engine.stop(1000);
  await app.close();
  await store.close();

  console.log(
    `${tasks} upgrades of ${values.nodes} nodes in one process (SQLite, simulator speed ${values.speed}), ` +
      `${values.pollers} pollers; ${allSucceeded ? "all Success" : "NOT all Success"} after ${wall.toFixed(1)} s`,
  );
  console.log(
    "| phase | GETs | failed GETs | GET p50 ms | GET p99 ms | event-loop delay p99 ms | peak RSS MiB |\n" +
      "|---|---|---|---|---|---|---|",
  );
  for (const [name, run] of [
    ["engine idle (baseline)", idle],
    [`${tasks} in flight`, busy],
  ] as const) {
    const row = [name, run.latencies.length, run.failures, percentile(run.latencies, 50).toFixed(1)];
    row.push(percentile(run.latencies, 99).toFixed(1), run.loopDelayP99Ms.toFixed(1), run.peakRssMiB.toFixed(0));
    console.log(`| ${row.join(" | ")} |`);
  }
  process.exit(0);
}

await main();
