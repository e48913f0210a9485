import { systemClock } from "../../src/domain/clock.js";
import { ClusterDriverRouter } from "../../src/drivers/cluster-driver-router.js";
import { SimulatorDriver } from "../../src/drivers/simulator.js";
import type { HookNetwork } from "../../src/drivers/webhook-network.js";
import { type CheckRunnerOptions, CheckTaskRunner } from "../../src/engine/check-runner.js";
import type { ClusterCheckDriver } from "../../src/engine/ports.js";
import { checkTaskStore } from "../../src/store/check-task-store.js";
import { driverChoices } from "../../src/store/cluster-driver-queries.js";
import type { Store } from "../../src/store/database.js";
import { simulatedClusterStore } from "../../src/store/simulated-cluster-store.js";

const silent = { info() {}, warn() {}, error() {} };

/**
 * A running check runner over `store`, whose clusters' drivers are the simulator, with its durations `speed` times
 * faster (and wrapped in `wrap`), or their hooks, reaching the network `hookNetwork` lets them.
 */
export function startCheckRunner(
  store: Store,
  options: Partial<CheckRunnerOptions> & {
    speed?: number;
    hookNetwork?: HookNetwork;
    /** Puts a double around the simulator. */
    wrap?: (simulator: ClusterCheckDriver) => ClusterCheckDriver;
  } = {},
) {
  const { speed = 400, hookNetwork = { allowPrivateNetworks: false }, wrap = (s) => s, ...settings } = options;
  const clock = systemClock();
  const simulator = wrap(new SimulatorDriver(simulatedClusterStore(store, clock), clock, { speed }));
  const runner = new CheckTaskRunner(
    checkTaskStore(store),
    new ClusterDriverRouter(driverChoices(store), simulator, clock, silent, hookNetwork),
    clock,
    { pollIntervalMs: 10, holdMs: 5_000, precheckValidityMs: 3_600_000, ...settings },
    silent,
  );
  runner.start();
  return runner;
}

/** Polls `read` until `done` holds; fails with the last value after `timeoutMs`. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value: T;
  do {
    value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 15));
  } while (Date.now() < deadline);
  throw new Error(`not there after ${timeoutMs} ms: ${JSON.stringify(value)}`);
}
