import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/domain/clock.js";
import type { PlanTarget } from "../../src/domain/upgrade-plan.js";
import { SimulatorDriver } from "../../src/drivers/simulator.js";
import type { StepContext } from "../../src/engine/ports.js";
import { simulatedClusterStore } from "../../src/store/simulated-cluster-store.js";
import { CLUSTER, PROJECT } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

/** The simulator answers a pre-check from the fault rules of step `precheck`: it is their one owner. */
describe("the simulator's pre-check inspection", () => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  afterEach(() => system?.close());

  const target: PlanTarget = { name: "precheck", fromVersion: "", toVersion: "", phase: "Running", finishedAt: null };
  const context = {
    taskId: "check-1",
    clusterId: CLUSTER,
    step: { kind: "precheck", name: "precheck" },
    stepIndex: 0,
    attempt: 1,
  } as StepContext;

  async function simulatorWith(faults: { target?: string; error: string; times?: number }[]) {
    system = await testSystem("sqlite", { startEngine: false });
    for (const fault of faults) {
      const body = { step: "precheck", times: 1, ...fault };
      await system.call("POST", `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/faults`, body);
    }
    const clock = systemClock();
    const simulator = new SimulatorDriver(simulatedClusterStore(system.store, clock), clock, { speed: Infinity });
    const inspect = (hasNodes = true) => simulator.inspect(context, target, { hasNodes }, new AbortController().signal);
    return { inspect };
  }

  it("fails the item each rule names, the oldest rule per item, one attempt per check", async () => {
    const { inspect } = await simulatorWith([
      { target: "UpgradePath", error: "First" },
      { target: "UpgradePath", error: "Second" },
      { target: "ClusterStatus", error: "Down", times: 2 },
      { target: "NoSuchItem", error: "Odd" },
    ]);
    const codes = async () => {
      const inspection = await inspect();
      if (!inspection.ok) throw new Error("the inspection ran");
      return inspection.failedItems.map(({ item, code }) => `${item}:${code}`);
    };
    expect(await codes()).toEqual(["UpgradePath:First", "ClusterStatus:Down"]);
    expect(await codes()).toEqual(["UpgradePath:Second", "ClusterStatus:Down"]);
    expect(await codes()).toEqual([]);
  });

  it("says the check cannot run on a rule naming no item, and keeps the item rules for the next check", async () => {
    const { inspect } = await simulatorWith([{ target: "UpgradePath", error: "Path" }, { error: "CheckerCrashed" }]);
    const first = await inspect();
    expect(first).toMatchObject({ ok: false, failure: { code: "CheckerCrashed" } });
    expect(await inspect()).toMatchObject({ ok: true, failedItems: [{ item: "UpgradePath", code: "Path" }] });
  });

  it("keeps a NodeStatus rule while the cluster has no nodes", async () => {
    const { inspect } = await simulatorWith([{ target: "NodeStatus", error: "NodeNotReady" }]);
    expect(await inspect(false)).toEqual({ ok: true, failedItems: [] });
    expect(await inspect(true)).toMatchObject({
      ok: true,
      failedItems: [{ item: "NodeStatus", code: "NodeNotReady" }],
    });
  });
});
