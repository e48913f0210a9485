// One engine replica for bench/engine.ts: runs queued upgrades with instant simulated steps until SIGTERM.
import { randomBytes } from "node:crypto";
import { systemClock } from "../src/domain/clock.js";
import { SimulatorDriver } from "../src/drivers/simulator.js";
import { UpgradeEngine } from "../src/engine/upgrade-engine.js";
import { openStore } from "../src/store/database.js";
import { engineStore } from "../src/store/engine-store.js";
import { simulatedClusterStore } from "../src/store/simulated-cluster-store.js";

const store = await openStore(process.env.DATABASE_URL ?? "");
const clock = systemClock();
const logger = { info() {}, warn() {}, error: (fields: object, message: string) => console.error(message, fields) };
const engine = new UpgradeEngine(
  engineStore(store),
  new SimulatorDriver(simulatedClusterStore(store, clock), clock, { speed: Number.POSITIVE_INFINITY }),
  clock,
  {
    owner: `bench-${randomBytes(3).toString("hex")}`,
    concurrency: Number(process.env.CONCURRENCY ?? 256),
    projectShare: 0.5,
    leaseTtlMs: 60_000,
    pollIntervalMs: 10,
    maxStepAttempts: 1,
    retryBackoffMs: 0,
  },
  logger,
);
engine.start();
process.stdout.write("engine started\n");
process.on("SIGTERM", async () => {
  await engine.stop(1000);
  await store.close();
  process.stdout.write(`peak-rss-mib ${(process.resourceUsage().maxRSS / 1024).toFixed(0)}\n`);
  process.exit(0);
});
