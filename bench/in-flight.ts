// Many upgrades in flight at once in one process (API, engine and simulator together), while pollers in another
// process GET random tasks: the server's peak RSS and the GET latency under that load, beside the same GETs with the
// engine idle (the baseline, measured in the same run, on the same tasks, before the engine starts).
// Usage: npm run bench:in-flight -- [--tasks 10000] [--nodes 20] [--speed 10] [--pollers 8] [--idle-seconds 5]
//   [--engine-thread main|worker]
// --speed 10 makes a simulated node batch take 1 s (the control plane 2 s).
import { fork } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { buildServer } from "../src/api/server.js";
import { loadConfig } from "../src/config.js";
import { systemClock } from "../src/domain/clock.js";
import { UTC } from "../src/domain/go-time.js";
import { type EngineRuntime, startEngine } from "../src/engine-runtime.js";
import { openStore, type Store } from "../src/store/database.js";
import { migrateToLatest } from "../src/store/migrate.js";
import { applySeed } from "../src/store/seed-file.js";
import type { PollOrder, PollReport } from "./in-flight-pollers.js";
import { clustersSeed, queueUpgrades } from "./upgrade-fixtures.js";

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "10000" },
    nodes: { type: "string", default: "20" },
    speed: { type: "string", default: "10" },
    pollers: { type: "string", default: "8" },
    "idle-seconds": { type: "string", default: "5" },
    "limit-seconds": { type: "string", default: "600" },
    "engine-thread": { type: "string", default: "main" },
  },
});
const tasks = Number(values.tasks);
const TOKEN = "bench-token-0123456789";

/**
 * The pollers' report, with this process's peak RSS and event-loop delay p99, from when the pollers are ready until
 * the promise `phase` gives resolves.
 */
async function poll(base: string, ids: string[], phase: () => Promise<unknown>) {
  const pollers = fork(new URL("./in-flight-pollers.ts", import.meta.url), { execArgv: ["--import", "tsx"] });
  await once(pollers, "message");
  let peakRss = process.memoryUsage().rss;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const report = once(pollers, "message") as Promise<[PollReport]>;
  pollers.send({ base, ids, pollers: Number(values.pollers), token: TOKEN } satisfies PollOrder);
  await phase();
  pollers.send("stop");
  const [result] = await report;
  clearInterval(sampler);
  loopDelay.disable();
  const peakRssMiB = Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20;
  return { ...result, peakRssMiB, loopDelayP99Ms: loopDelay.percentile(99) / 1e6 };
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

/** Whether every task reached Success before `limit` (a `performance.now()` time); prints progress meanwhile. */
async function allSuccess(store: Store, limit: number): Promise<boolean> {
  const started = performance.now();
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
}

async function main(): Promise<void> {
  const databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), "cce-bench-in-flight-")), "db")}`;
  const store = await openStore(databaseUrl);
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

  const idleSeconds = Number(values["idle-seconds"]);
  const idle = await poll(base, ids, () => new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000)));

  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ENGINE_THREAD: values["engine-thread"],
    ENGINE_CONCURRENCY: String(tasks),
    ENGINE_PROJECT_SHARE: "1",
    LEASE_TTL_MS: "60000",
    ENGINE_POLL_MS: "50",
    SIM_SPEED: values.speed,
    LOG_LEVEL: "warn",
  });
  const logger = pino({ level: config.logLevel });
  const metrics = { stepFinished() {}, leaseTakenOver() {} };
  let started = 0;
  let engine: EngineRuntime | undefined;
  let allSucceeded = false;
  const busy = await poll(base, ids, async () => {
    started = performance.now();
    engine = await startEngine(config, store, logger, metrics);
    allSucceeded = await allSuccess(store, started + Number(values["limit-seconds"]) * 1000);
  });
  const wall = (performance.now() - started) / 1000;
  await engine?.stop();
  await app.close();
  await store.close();

  console.log(
    `${tasks} upgrades of ${values.nodes} nodes in one process (SQLite, simulator speed ${values.speed}, ` +
      `engine on the ${config.engine.thread} thread), ` +
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
    const row = [name, run.gets, run.failures, run.p50Ms.toFixed(1), run.p99Ms.toFixed(1)];
    row.push(run.loopDelayP99Ms.toFixed(1), run.peakRssMiB.toFixed(0));
    console.log(`| ${row.join(" | ")} |`);
  }
  process.exit(0);
}

await main();
