import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { threadId } from "node:worker_threads";
import type { Logger } from "pino";
import type { ServiceConfig } from "./config.js";
import { systemClock } from "./domain/clock.js";
import { ClusterDriverRouter } from "./drivers/cluster-driver-router.js";
import { SimulatorDriver } from "./drivers/simulator.js";
import { CheckTaskRunner } from "./engine/check-runner.js";
import { ClusterJobRunner } from "./engine/cluster-job-runner.js";
import type { EngineMetrics } from "./engine/ports.js";
import { UpgradeEngine } from "./engine/upgrade-engine.js";
import { startEngineThread } from "./engine-thread.js";
import { checkTaskStore } from "./store/check-task-store.js";
import { driverChoices } from "./store/cluster-driver-queries.js";
import { clusterJobStore } from "./store/cluster-job-store.js";
import type { Store } from "./store/database.js";
import { engineStore } from "./store/engine-store.js";
import { simulatedClusterStore } from "./store/simulated-cluster-store.js";

/** How long a successful pre-check lets UpgradeCluster go ahead (`expireTimeStamp`). */
const PRECHECK_VALIDITY_MS = 60 * 60 * 1000;

/** The work behind the API (upgrade engine, check runner, cluster jobs), wherever it runs. */
export interface EngineRuntime {
  /** The upgrade engine's lifecycle state, for `/readyz`. */
  state(): string;
  /** Stops claiming, lets current steps finish within the grace and hands tasks back. */
  stop(): Promise<void>;
}

/** Starts the engine where the configuration says: on this thread with `store`, or in a worker thread of its own. */
export async function startEngine(
  config: ServiceConfig,
  store: Store,
  logger: Logger,
  metrics: EngineMetrics,
): Promise<EngineRuntime> {
  if (config.engine.thread === "worker") return startEngineThread(config, logger, metrics);
  return startEngineRuntime(config, store, logger, metrics);
}

/** Starts the upgrade engine, the check runner and the cluster-job runner on `store`, in this thread. */
export function startEngineRuntime(
  config: ServiceConfig,
  store: Store,
  logger: Logger,
  metrics: EngineMetrics,
): EngineRuntime {
  const clock = systemClock();
  const drivers = new ClusterDriverRouter(
    driverChoices(store),
    new SimulatorDriver(simulatedClusterStore(store, clock), clock, { speed: config.simSpeed }),
    clock,
    logger.child({ component: "hooks" }),
    { allowPrivateNetworks: config.allowHookPrivateNetworks },
  );
  const engine = new UpgradeEngine(
    engineStore(store),
    drivers,
    clock,
    {
      owner: `${hostname()}-${process.pid}-${threadId}-${randomBytes(3).toString("hex")}`,
      concurrency: config.engine.concurrency,
      projectShare: config.engine.projectShare,
      leaseTtlMs: config.engine.leaseTtlMs,
      pollIntervalMs: config.engine.pollIntervalMs,
      maxStepAttempts: 3,
      retryBackoffMs: 500,
      metrics,
    },
    logger.child({ component: "engine" }),
  );
  const checkRunner = new CheckTaskRunner(
    checkTaskStore(store),
    drivers,
    clock,
    {
      pollIntervalMs: config.engine.pollIntervalMs,
      holdMs: config.engine.leaseTtlMs,
      precheckValidityMs: PRECHECK_VALIDITY_MS,
    },
    logger.child({ component: "check-runner" }),
  );
  const jobRunner = new ClusterJobRunner(
    clusterJobStore(store),
    clock,
    { pollIntervalMs: config.engine.pollIntervalMs, speed: config.simSpeed },
    logger.child({ component: "cluster-jobs" }),
  );
  engine.start();
  checkRunner.start();
  jobRunner.start();
  return {
    state: () => engine.state,
    async stop() {
      await Promise.all([engine.stop(config.engine.shutdownGraceMs), checkRunner.stop(), jobRunner.stop()]);
    },
  };
}
