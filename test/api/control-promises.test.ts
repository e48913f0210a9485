import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/domain/clock.js";
import type { PlanTarget } from "../../src/domain/upgrade-plan.js";
import type { ClusterDriver, StepContext } from "../../src/engine/ports.js";
import { UpgradeEngine } from "../../src/engine/upgrade-engine.js";
import { engineStore } from "../../src/store/engine-store.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, PROJECT, upgradeBody } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";
import { expectCceError } from "../support/wire.js";

const silent = { info() {}, warn() {}, error() {} };
const SNAPSHOT = `/api/v3.1/projects/${PROJECT}/clusters/${CLUSTER}/operation/snapshot`;

/** A driver that holds the plan's last step until `release()`, so a test can act while it runs. */
function lastStepGate() {
  let release: () => void = () => undefined;
  let entered: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reachedLastStep = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let lastStepIndex = Number.POSITIVE_INFINITY;
  const driver: ClusterDriver = {
    observe: async () => false,
    async apply(context: StepContext, _target: Readonly<PlanTarget>) {
      if (context.stepIndex >= lastStepIndex) {
        entered();
        await released;
      }
      return { ok: true };
    },
  };
  return { driver, release, reachedLastStep, setLastStep: (index: number) => (lastStepIndex = index) };
}

describe.each(DIALECTS)("control requests keep their word, on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  let engine: UpgradeEngine | undefined;
  afterEach(async () => {
    await engine?.stop(0);
    await system?.close();
  });

  it("refuses a pause once the last step runs, and then ends Success as it said", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const gate = lastStepGate();
    const taskId = await system.startUpgrade(CLUSTER, "v1.29", { isOnlyUpgrade: true });
    engine = new UpgradeEngine(
      engineStore(system.store),
      {
        observe: (context, target) => gate.driver.observe(context, target),
        async apply(context, target, signal) {
          // The plan exists once the first step runs: learn where its last step is.
          gate.setLastStep((await system.plan(CLUSTER, taskId)).steps.length - 1);
          return gate.driver.apply(context, target, signal);
        },
      },
      systemClock(),
      {
        owner: "gate",
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
    await gate.reachedLastStep;
    const pause = await system.control(CLUSTER, "pause");
    gate.release();
    expectCceError(pause.response, 403, "CCE.01403003");
    const task = await system.waitForTask(CLUSTER, taskId, (t) =>
      ["Success", "Pause", "Failed"].includes(t.status.phase),
    );
    expect(task.status.phase).toBe("Success");
  });

  it("refuses a backup while an upgrade is queued", async () => {
    system = await testSystem(dialect, { startEngine: false });
    await system.startUpgrade(CLUSTER, "v1.29", { isOnlyUpgrade: true });
    expectCceError((await system.call("POST", SNAPSHOT)).response, 429, "CCE.01429002");
  });

  it("refuses an upgrade while a backup runs", async () => {
    system = await testSystem(dialect, { startEngine: false });
    expect((await system.call("POST", SNAPSHOT)).status).toBe(200);
    const upgrade = await system.call(
      "POST",
      `${system.clusterPath(CLUSTER)}/operation/upgrade`,
      upgradeBody("v1.29", { isOnlyUpgrade: true }),
    );
    expectCceError(upgrade.response, 429, "CCE.01429002");
  });
});
