import { afterEach, describe, expect, it } from "vitest";
import { type Clock, systemClock } from "../../src/domain/clock.js";
import type { PlanTarget } from "../../src/domain/upgrade-plan.js";
import { SimulatorDriver } from "../../src/drivers/simulator.js";
import type { StepContext } from "../../src/engine/ports.js";
import { simulatedClusterStore } from "../../src/store/simulated-cluster-store.js";
import { CLUSTER } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

/** The targets of a step upgrade together: they spend the step's simulated time on one timer. */
describe("the simulator's step time", () => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  afterEach(() => system?.close());

  const targets: PlanTarget[] = Array.from({ length: 20 }, (_, i) => ({
    name: `node-${i}`,
    id: `node-${i}`,
    fromVersion: "v1.28.15-r30",
    toVersion: "v1.29.15-r50",
    phase: "Running",
    finishedAt: null,
  }));
  const context = (attempt: number) =>
    ({
      taskId: "task-1",
      clusterId: CLUSTER,
      step: { kind: "node", name: "nodes/batch-1", targets },
      stepIndex: 3,
      attempt,
    }) as unknown as StepContext;

  /** A simulator whose node step takes 10 ms, and the sleeps it asked its clock for. */
  async function countingSimulator() {
    system = await testSystem("sqlite", { startEngine: false });
    const clock = systemClock();
    const sleeps: number[] = [];
    const counting: Clock = {
      nowMicros: () => clock.nowMicros(),
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return clock.sleep(ms, signal);
      },
    };
    const simulator = new SimulatorDriver(simulatedClusterStore(system.store, clock), counting, { speed: 1000 });
    return { simulator, sleeps };
  }

  it("upgrades every target of a batch on one timer, and a new one for the next attempt", async () => {
    const { simulator, sleeps } = await countingSimulator();
    const signal = new AbortController().signal;
    const first = await Promise.all(targets.map((target) => simulator.apply(context(1), target, signal)));
    expect(first.every((outcome) => outcome.ok)).toBe(true);
    expect(sleeps).toEqual([10]);
    await Promise.all(targets.map((target) => simulator.apply(context(2), target, signal)));
    expect(sleeps).toEqual([10, 10]);
  });

  it("ends every target waiting on the shared timer when the run is aborted, and only that run's", async () => {
    const { simulator } = await countingSimulator();
    const aborted = new AbortController();
    const other = new AbortController();
    const applies = targets.map((target) => simulator.apply(context(1), target, aborted.signal));
    const otherRun = simulator.apply(context(1), targets[0] as PlanTarget, other.signal);
    aborted.abort(new Error("lease lost"));
    const settled = await Promise.allSettled(applies);
    expect(settled.map((result) => result.status)).toEqual(targets.map(() => "rejected"));
    expect(await otherRun).toMatchObject({ ok: true });
  });
});
