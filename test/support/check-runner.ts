import { systemClock } from "../../src/domain/clock.js";
import { SIMULATED_STEP_MS } from "../../src/drivers/simulator.js";
import { type CheckRunnerOptions, CheckTaskRunner } from "../../src/engine/check-runner.js";
import { checkTaskStore } from "../../src/store/check-task-store.js";
import type { Store } from "../../src/store/database.js";

const silent = { info() {}, warn() {}, error() {} };

/** A running check runner over `store`, with the simulator's durations `speed` times faster. */
export function startCheckRunner(store: Store, options: Partial<CheckRunnerOptions> & { speed?: number } = {}) {
  const speed = options.speed ?? 400;
  const runner = new CheckTaskRunner(
    checkTaskStore(store),
    systemClock(),
    {
      pollIntervalMs: 10,
      precheckMs: SIMULATED_STEP_MS.precheck / speed,
      snapshotMs: SIMULATED_STEP_MS.backup / speed,
      precheckValidityMs: 3_600_000,
      ...options,
    },
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
