import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/domain/clock.js";
import { SimulatorDriver } from "../../src/drivers/simulator.js";
import type { ClusterDriver } from "../../src/engine/ports.js";
import { UpgradeEngine } from "../../src/engine/upgrade-engine.js";
import { engineStore } from "../../src/store/engine-store.js";
import { simulatedClusterStore } from "../../src/store/simulated-cluster-store.js";
import { expectAppliedOnce } from "../support/apply-log.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

const silent = { info() {}, warn() {}, error() {} };

describe.each(DIALECTS)("the simulator's apply log, on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  let engine: UpgradeEngine | undefined;
  afterEach(async () => {
    await engine?.stop(0);
    await system?.close();
  });

  /** Upgrades CLUSTER through `wrap(simulator)`; the expected node keys of the apply log. */
  async function upgradeThrough(wrap: (simulator: ClusterDriver) => ClusterDriver) {
    system = await testSystem(dialect, { startEngine: false });
    const clock = systemClock();
    const simulator = new SimulatorDriver(simulatedClusterStore(system.store, clock), clock, { speed: 1000 });
    engine = new UpgradeEngine(
      engineStore(system.store),
      wrap(simulator),
      clock,
      {
        owner: "log-test",
        concurrency: 1,
        leaseTtlMs: 60_000,
        pollIntervalMs: 10,
        maxStepAttempts: 3,
        retryBackoffMs: 1,
        projectShare: 1,
      },
      silent,
    );
    engine.start();
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (task) => task.status.phase === "Success");
    const nodes = await system.store.db.selectFrom("nodes").select("name").where("cluster_id", "=", CLUSTER).execute();
    return nodes.map((node) => `${taskId}/${node.name}`);
  }

  it("shows each node applied once by the simulator as it is", async () => {
    const expected = await upgradeThrough((simulator) => simulator);
    await expectAppliedOnce(system.store, "node", expected);
  });

  it("catches a driver that applies one node twice, though the second apply changes nothing", async () => {
    let repeated: string | undefined;
    const expected = await upgradeThrough((simulator) => ({
      observe: (context, target) => simulator.observe(context, target),
      async apply(context, target, signal) {
        const outcome = await simulator.apply(context, target, signal);
        if (context.step.kind === "node" && repeated === undefined) {
          repeated = target.name;
          return simulator.apply(context, target, signal);
        }
        return outcome;
      },
    }));
    expect(repeated).toBeDefined();
    await expect(expectAppliedOnce(system.store, "node", expected)).rejects.toThrow(/applied more than once/);
  });
});
