import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/domain/clock.js";
import type { PlanTarget } from "../../src/domain/upgrade-plan.js";
import type { ClusterDriver, StepContext } from "../../src/engine/ports.js";
import { UpgradeEngine } from "../../src/engine/upgrade-engine.js";
import { engineStore } from "../../src/store/engine-store.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

const MAX_STEP_ATTEMPTS = 3;
const silent = { info() {}, warn() {}, error() {} };

/** A driver double that throws from `apply` (or `observe`) on node steps, and counts its calls. */
function throwingDriver(where: "apply" | "observe") {
  const calls = { apply: 0, observe: 0 };
  const driver: ClusterDriver = {
    async observe(context: StepContext) {
      calls.observe += 1;
      if (where === "observe" && context.step.kind === "node") throw new TypeError("observe blew up");
      return false;
    },
    async apply(context: StepContext, _target: Readonly<PlanTarget>) {
      calls.apply += 1;
      if (context.step.kind === "node" && (where === "apply" || context.attempt === 1)) {
        const error = new Error("connect ECONNREFUSED 10.0.0.1:6443: secret-detail") as NodeJS.ErrnoException;
        error.code = "ECONNREFUSED";
        throw error;
      }
      return { ok: true };
    },
  };
  return { driver, calls };
}

describe.each(DIALECTS)("a driver that throws, on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  let engine: UpgradeEngine | undefined;
  afterEach(async () => {
    await engine?.stop(0);
    await system?.close();
  });

  async function runWith(driver: ClusterDriver) {
    system = await testSystem(dialect, { startEngine: false });
    engine = new UpgradeEngine(
      engineStore(system.store),
      driver,
      systemClock(),
      {
        owner: "throwing-test",
        concurrency: 2,
        leaseTtlMs: 60_000,
        pollIntervalMs: 10,
        maxStepAttempts: MAX_STEP_ATTEMPTS,
        retryBackoffMs: 1,
        projectShare: 1,
      },
      silent,
    );
    engine.start();
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    return system.waitForTask(CLUSTER, taskId, (task) => !["Init", "Queuing", "Running"].includes(task.status.phase));
  }

  it("ends the task Failed after maxStepAttempts when apply throws, with a reason naming the error", async () => {
    const { driver } = throwingDriver("apply");
    const task = await runWith(driver);
    expect(task.status.phase).toBe("Failed");
    expect(task.spec.items?.failureReason).toMatch(/DriverError/);
    expect(task.spec.items?.failureReason).toMatch(/ECONNREFUSED/);
    // What the driver's error said stays in the server's log: it may name hosts or credentials.
    expect(task.spec.items?.failureReason).not.toMatch(/secret-detail/);
    const plan = await system.plan(CLUSTER, task.metadata.uid);
    const failed = plan.steps.find((step: { phase: string }) => step.phase === "Failed");
    expect(failed).toMatchObject({ kind: "node", attempts: MAX_STEP_ATTEMPTS });
  });

  it("ends the task Failed when observe throws on the step's later attempts", async () => {
    const { driver, calls } = throwingDriver("observe");
    const task = await runWith(driver);
    expect(task.status.phase).toBe("Failed");
    expect(task.spec.items?.failureReason).toMatch(/DriverError.*TypeError/);
    expect(calls.observe).toBeGreaterThan(0);
  });

  it("retries a retryable failure by itself again after a user retry", async () => {
    system = await testSystem(dialect, { startEngine: false });
    let failures = 0;
    const flaky: ClusterDriver = {
      observe: async () => false,
      async apply(context) {
        if (context.step.kind !== "node" || failures === MAX_STEP_ATTEMPTS + 1) return { ok: true };
        failures += 1;
        return { ok: false, failure: { code: "Flaky", message: "try again", retryable: true } };
      },
    };
    engine = engineWith(system, flaky);
    engine.start();
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect((await system.control(CLUSTER, "retry")).status).toBe(200);
    // The new run has its own attempts: one more failure, then the automatic retry succeeds.
    const task = await system.waitForTask(CLUSTER, taskId, (t) => ["Success", "Failed"].includes(t.status.phase));
    expect(task.status.phase).toBe("Success");
    expect(failures).toBe(MAX_STEP_ATTEMPTS + 1);
  });

  it("fails a step whose workers keep giving it up mid-step instead of starting it forever", async () => {
    system = await testSystem(dialect, { startEngine: false });
    let applies = 0;
    const hanging: ClusterDriver = {
      observe: async () => false,
      apply: (context, _target, signal) => {
        if (context.step.kind !== "node") return Promise.resolve({ ok: true });
        applies += 1;
        // Never finishes: only the run's abort (the engine handing the task back) ends it.
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      },
    };
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    const limit = MAX_STEP_ATTEMPTS * 3;
    for (let round = 1; round <= limit; round++) {
      engine = engineWith(system, hanging);
      engine.start();
      await until(() => applies === round);
      await engine.stop(0);
    }
    engine = engineWith(system, hanging);
    engine.start();
    const task = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect(task.spec.items?.failureReason).toMatch(/StepAttemptsExhausted/);
    expect(applies).toBe(limit);
  });
});

function engineWith(system: Awaited<ReturnType<typeof testSystem>>, driver: ClusterDriver): UpgradeEngine {
  return new UpgradeEngine(
    engineStore(system.store),
    driver,
    systemClock(),
    {
      owner: "looping-test",
      concurrency: 2,
      leaseTtlMs: 60_000,
      pollIntervalMs: 10,
      maxStepAttempts: 3,
      retryBackoffMs: 1,
      projectShare: 1,
    },
    silent,
  );
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
