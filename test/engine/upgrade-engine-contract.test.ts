import { afterEach, describe, expect, it, vi } from "vitest";
import type { ClusterInventory, PlanTarget } from "../../src/domain/upgrade-plan.js";
import type { NormalizedUpgradeAction } from "../../src/domain/upgrade-request.js";
import type {
  ClaimedTask,
  ClusterDriver,
  CommitOutcome,
  EngineMetrics,
  EngineStore,
  Lease,
  TargetOutcome,
  TaskChange,
} from "../../src/engine/ports.js";
import { type EngineOptions, UpgradeEngine } from "../../src/engine/upgrade-engine.js";
import { HeldClock, until } from "../support/held-clock.js";

/**
 * The engine's claim loop through its ports: a store whose claims the test scripts, a driver whose applies wait for
 * the test, and a clock whose sleeps are recorded and woken by hand.
 */

const NOW = 7_000_000_000;

type ClaimCall = readonly [owner: string, now: number, ttlMicros: number, limit: number, projectSlots?: number];

/** Hands out scripted claims and answers every commit as done. */
class ScriptedStore implements EngineStore {
  readonly claims: ClaimCall[] = [];
  readonly commits: TaskChange[] = [];
  readonly released: string[] = [];
  /** What each claim answers, in turn; nothing once they run out. An Error is thrown. */
  answers: (ClaimedTask[] | Error)[] = [];

  async claimRunnableTasks(owner: string, now: number, ttl: number, limit: number, slots?: number) {
    this.claims.push([owner, now, ttl, limit, slots]);
    const answer = this.answers.shift() ?? [];
    if (answer instanceof Error) throw answer;
    return answer;
  }
  async renewLease(): Promise<boolean> {
    return true;
  }
  async releaseLease(lease: Lease): Promise<void> {
    this.released.push(lease.taskId);
  }
  async commit(lease: Lease, change: TaskChange): Promise<CommitOutcome> {
    this.commits.push(change);
    lease.fence += 1;
    return { phase: change.phase };
  }
  async clusterInventory(): Promise<ClusterInventory> {
    return { version: "v1.28.15-r30", pools: [], nodes: [], addons: [] };
  }
  async checkInventory() {
    return { nodes: [], addons: [], deprecatedApis: [] };
  }
}

/** Each apply waits until the test finishes its task (`finish`), or its signal aborts. */
class GatedDriver implements ClusterDriver {
  readonly applying: string[] = [];
  readonly aborted: string[] = [];
  readonly #gates = new Map<string, () => void>();

  async observe(): Promise<boolean> {
    return false;
  }
  apply(context: { taskId: string }, _target: Readonly<PlanTarget>, signal: AbortSignal): Promise<TargetOutcome> {
    this.applying.push(context.taskId);
    return new Promise((resolve, reject) => {
      let finished = false;
      this.#gates.set(context.taskId, () => {
        finished = true;
        resolve({ ok: true });
      });
      signal.addEventListener("abort", () => {
        if (finished) return;
        this.aborted.push(context.taskId);
        reject(signal.reason);
      });
    });
  }
  finish(taskId: string): void {
    this.#gates.get(taskId)?.();
  }
}

const ACTION: NormalizedUpgradeAction = {
  targetVersion: "v1.29.15-r50",
  strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 20, scope: "Cluster" } },
};

/** A task whose plan is one control-plane step: one apply, then the task is done. */
function task(id: string, phase: ClaimedTask["phase"] = "Queuing"): ClaimedTask {
  const target = { name: "control-plane", fromVersion: "v1.28.15-r30", toVersion: "v1.29.15-r50" };
  return {
    id,
    projectId: "p",
    clusterId: `c-${id}`,
    phase,
    fromVersion: "v1.28.15-r30",
    targetVersion: "v1.29.15-r50",
    targetPlatformVersion: "cce.12.0",
    action: ACTION,
    plan: {
      steps: [
        {
          kind: "master",
          name: "control-plane",
          weight: 1,
          targets: [{ ...target, phase: "Init", finishedAt: null }],
          phase: "Init",
          attempts: 0,
          startedAt: null,
          finishedAt: null,
          error: null,
        },
      ],
    },
    cursor: 0,
    pauseRequested: false,
    lease: { taskId: id, owner: "engine-1", fence: 1 },
  };
}

function setup(options: Partial<EngineOptions> = {}) {
  const store = new ScriptedStore();
  const driver = new GatedDriver();
  const clock = new HeldClock(NOW);
  const errors: [object, string][] = [];
  const takeovers: number[] = [];
  const metrics: EngineMetrics = { stepFinished() {}, leaseTakenOver: () => takeovers.push(1) };
  const logger = { info() {}, warn() {}, error: (fields: object, message: string) => errors.push([fields, message]) };
  const engine = new UpgradeEngine(
    store,
    driver,
    clock,
    {
      owner: "engine-1",
      concurrency: 4,
      projectShare: 0.5,
      leaseTtlMs: 9_000,
      pollIntervalMs: 250,
      maxStepAttempts: 3,
      retryBackoffMs: 1,
      metrics,
      ...options,
    },
    logger,
  );
  return { store, driver, clock, errors, takeovers, engine };
}

let running: UpgradeEngine | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await running?.stop(0);
  running = undefined;
});

describe("UpgradeEngine.claimOnce", () => {
  it("claims nothing before start, then the free slots with its owner, the lease TTL and each project's share", async () => {
    const { store, driver, engine } = setup({ concurrency: 5, projectShare: 0.5 });
    expect(await engine.claimOnce()).toBe(0);
    expect(store.claims).toEqual([]);
    store.answers = [[], [task("a"), task("b")]];
    running = engine;
    engine.start();
    await until(() => store.claims.length === 1, "the first claim");
    expect(store.claims[0]).toEqual(["engine-1", NOW, 9_000_000, 5, 2]);
    expect(await engine.claimOnce()).toBe(2);
    await until(() => driver.applying.length === 2, "both tasks applying");
    expect(engine.activeTasks).toBe(2);
    expect(await engine.claimOnce()).toBe(0);
    expect(store.claims.at(-1)).toEqual(["engine-1", NOW, 9_000_000, 3, 2]);
  });

  it("gives a project at least one slot, and a share of 1 every slot", async () => {
    for (const [concurrency, projectShare, slots] of [
      [3, 0.1, 1],
      [4, 1, 4],
      [10, 0.35, 3],
    ] as const) {
      const { store, engine } = setup({ concurrency, projectShare });
      running = engine;
      engine.start();
      await until(() => store.claims.length === 1, "the first claim");
      expect(store.claims[0]?.[4], `${concurrency} × ${projectShare}`).toBe(slots);
      await engine.stop(0);
    }
  });

  it("asks the store for nothing once every slot is taken", async () => {
    const { store, driver, engine } = setup({ concurrency: 1 });
    running = engine;
    store.answers = [[task("a")]];
    engine.start();
    await until(() => driver.applying.length === 1, "the task applying");
    const asked = store.claims.length;
    expect(await engine.claimOnce()).toBe(0);
    expect(store.claims).toHaveLength(asked);
  });

  it("counts a claimed Running task as a lease taken over, and a Queuing one not", async () => {
    const { store, takeovers, engine } = setup();
    running = engine;
    engine.start();
    await until(() => store.claims.length === 1, "the first claim");
    store.answers = [[task("queued"), task("resumed", "Running")]];
    await engine.claimOnce();
    expect(takeovers).toEqual([1]);
  });

  it("refuses a second start", () => {
    const { engine } = setup();
    running = engine;
    engine.start();
    expect(() => engine.start()).toThrow("cannot start an engine that is running");
  });
});

describe("UpgradeEngine's claim loop", () => {
  it("claims again at once after a claim that found work, and sleeps the poll interval after one that found none", async () => {
    const { store, clock, engine } = setup();
    running = engine;
    store.answers = [[task("a")], []];
    engine.start();
    await until(() => clock.sleeps.includes(250), "the idle pause");
    expect(store.claims).toHaveLength(2);
    expect(clock.sleeps.filter((ms) => ms === 250)).toHaveLength(1);
  });

  it("logs a failing claim and backs off, growing with the failures, then goes back to the poll interval", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const { store, clock, errors, engine } = setup();
    running = engine;
    const broken = new Error("connection reset");
    store.answers = [broken, broken, []];
    engine.start();
    await until(() => clock.sleeps.length === 1, "the first backoff");
    expect(errors).toEqual([[{ err: broken, failures: 1 }, "claiming tasks failed"]]);
    clock.wake();
    await until(() => clock.sleeps.length === 2, "the second backoff");
    expect(errors.at(-1)).toEqual([{ err: broken, failures: 2 }, "claiming tasks failed"]);
    clock.wake();
    await until(() => clock.sleeps.length === 3, "the pause after a good claim");
    // 250 × 2¹ × 0.5, 250 × 2² × 0.5, then the plain poll interval.
    expect(clock.sleeps.filter((ms) => ms !== 0)).toEqual([250, 500, 250]);
  });

  it("caps the backoff at thirty poll intervals", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const { store, clock, engine } = setup({ pollIntervalMs: 10 });
    running = engine;
    store.answers = Array.from({ length: 7 }, () => new Error("down"));
    engine.start();
    for (let n = 1; n <= 6; n++) {
      await until(() => clock.sleeps.length === n, `backoff ${n}`);
      clock.wake();
    }
    expect(Math.max(...clock.sleeps)).toBeCloseTo(10 * 30 * 0.999);
  });

  it("claims again as soon as a run ends, before the poll interval is over", async () => {
    const { store, driver, clock, engine } = setup({ concurrency: 1 });
    running = engine;
    store.answers = [[task("a")], [task("b")]];
    engine.start();
    await until(() => driver.applying.length === 1 && clock.sleeps.includes(250), "the engine idle while a runs");
    expect(store.claims).toHaveLength(1);
    driver.finish("a");
    // The clock never moves: only the end of a's run can have woken the loop.
    await until(() => driver.applying.includes("b"), "b claimed when a ended");
    expect(store.claims).toHaveLength(2);
  });
});

describe("UpgradeEngine.stop", () => {
  it("lets steps that finish within the grace finish, stops claiming, and ends stopped", async () => {
    const { store, driver, engine } = setup();
    store.answers = [[task("a")]];
    engine.start();
    await until(() => driver.applying.length === 1, "a applying");
    const stopped = engine.stop(60_000);
    expect(engine.state).toBe("draining");
    driver.finish("a");
    await stopped;
    expect(engine.state).toBe("stopped");
    expect(driver.aborted).toEqual([]);
    const claims = store.claims.length;
    expect(await engine.claimOnce()).toBe(0);
    expect(store.claims).toHaveLength(claims);
    await engine.stop(0);
  });

  it("aborts the steps still running when the grace is over, and hands their tasks back unfailed", async () => {
    const { store, driver, clock, engine } = setup();
    store.answers = [[task("a")]];
    engine.start();
    await until(() => driver.applying.length === 1, "a applying");
    const stopped = engine.stop(5_000);
    await until(() => clock.sleeps.includes(5_000), "the grace timer");
    expect(driver.aborted).toEqual([]);
    clock.wake();
    await stopped;
    expect(driver.aborted).toEqual(["a"]);
    expect(store.released).toEqual(["a"]);
    expect(store.commits.map((c) => c.phase)).not.toContain("Failed");
  });
});
