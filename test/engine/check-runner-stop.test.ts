import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/domain/clock.js";
import { CheckTaskRunner } from "../../src/engine/check-runner.js";
import type { ClusterCheckDriver } from "../../src/engine/ports.js";
import { checkTaskStore } from "../../src/store/check-task-store.js";
import { CLUSTER, PROJECT } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

const SNAPSHOT = `/api/v3.1/projects/${PROJECT}/clusters/${CLUSTER}/operation/snapshot`;
const silent = { info() {}, warn() {}, error() {} };

/** A driver whose backup works until it is told to stop. */
const workingUntilAborted: ClusterCheckDriver = {
  observe: async () => false,
  inspect: async () => ({ ok: true, failedItems: [] }),
  apply: (_context, _target, signal) =>
    new Promise((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    }),
};

describe("stopping the check runner", () => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  afterEach(() => system?.close());

  it("stops the work of a task whose hold it was taking when the stop came", async () => {
    system = await testSystem("sqlite", { startEngine: false });
    await system.call("POST", SNAPSHOT);
    const store = checkTaskStore(system.store);
    let stop: () => Promise<void> = async () => {};
    let stopped: Promise<string> | undefined;
    const runner = new CheckTaskRunner(
      {
        ...store,
        // The stop comes while the runner takes the task's hold, before the work starts.
        async holdTask(...args) {
          stopped = stop().then(() => "stopped");
          return store.holdTask(...args);
        },
      },
      { forCluster: async () => workingUntilAborted },
      systemClock(),
      { pollIntervalMs: 10, holdMs: 5_000, precheckValidityMs: 3_600_000 },
      silent,
    );
    stop = () => runner.stop();
    runner.start();
    await expect.poll(() => stopped !== undefined, { timeout: 5_000 }).toBe(true);

    const hung = new Promise((resolve) => setTimeout(() => resolve("still working after 5 s"), 5_000));
    expect(await Promise.race([stopped, hung])).toBe("stopped");
  });
});
