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

describe.each(DIALECTS)("the simulated cluster's fencing, on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  afterEach(async () => system?.close());

  const step = { kind: "node", name: "nodes/batch-1", weight: 10, targets: [], phase: "Running" } as const;
  const planTarget = {
    ...{ name: "n1", id: "node-1", fromVersion: "v1.28.15-r30", toVersion: "v1.29.15-r50" },
    ...{ phase: "Init" as const, finishedAt: null },
  };
  const context = (taskId: string, fence: number, attempt: number) => ({
    taskId,
    clusterId: CLUSTER,
    step: { ...step, targets: [], attempts: attempt, startedAt: null, finishedAt: null, error: null },
    stepIndex: 4,
    attempt,
    fence,
  });
  const simulator = () => {
    const clock = systemClock();
    return new SimulatorDriver(simulatedClusterStore(system.store, clock), clock, { speed: Number.POSITIVE_INFINITY });
  };
  const signal = () => new AbortController().signal;

  it("refuses the apply of a worker whose task a newer worker took over, and logs it as fenced", async () => {
    system = await testSystem(dialect, { startEngine: false });
    // The simulated cluster admits only workers of a task that exists; nothing here runs it.
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    const cluster = simulator();
    // The newer worker (fence 7) takes over and looks before the old one (fence 5) gets to apply.
    expect(await cluster.observe(context(taskId, 7, 2), planTarget)).toBe(false);
    const stale = await cluster.apply(context(taskId, 5, 1), planTarget, signal());
    expect(stale).toMatchObject({ ok: false, failure: { code: "LeaseLost" } });
    expect(await cluster.observe(context(taskId, 7, 2), planTarget)).toBe(false);
    expect(await cluster.apply(context(taskId, 7, 2), planTarget, signal())).toMatchObject({ ok: true });
    const log = await system.store.db.selectFrom("simulator_apply_log").select(["outcome"]).orderBy("at").execute();
    expect(log.map((row) => row.outcome)).toEqual(["fenced", "changed"]);
  });

  it("refuses a worker whose task no longer exists (its project was reset) and keeps no trace of it", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const cluster = simulator();
    expect(await cluster.observe(context("deleted-task", 9, 2), planTarget)).toBe(false);
    const outcome = await cluster.apply(context("deleted-task", 9, 2), planTarget, signal());
    expect(outcome).toMatchObject({ ok: false, failure: { code: "LeaseLost" } });
    for (const table of ["simulated_fences", "simulated_targets", "simulator_apply_log"] as const) {
      expect(await system.store.db.selectFrom(table).selectAll().execute(), table).toEqual([]);
    }
  });
});
