import { afterEach, describe, expect, it, vi } from "vitest";
import type { Clock } from "../../src/domain/clock.js";
import type { ClusterInspection } from "../../src/domain/upgrade-checks.js";
import {
  type ClusterInventory,
  type PlanStep,
  type PlanTarget,
  planUpgrade,
  type UpgradePlan,
} from "../../src/domain/upgrade-plan.js";
import type { NormalizedUpgradeAction } from "../../src/domain/upgrade-request.js";
import type { UpgradeTaskPhase } from "../../src/domain/upgrade-task.js";
import type {
  ClaimedTask,
  ClusterDriver,
  CommitOutcome,
  EngineStore,
  InspectionRequest,
  Lease,
  StepContext,
  TargetOutcome,
  TaskChange,
} from "../../src/engine/ports.js";
import { runClaimedTask, type TaskRunDeps } from "../../src/engine/task-run.js";

/**
 * runClaimedTask through its ports: a store that records every commit as the database would store it, a driver whose
 * answers the test scripts, and a clock whose sleeps wake only when the test moves time on.
 */

const FROM = "v1.28.15-r30";
const TO = "v1.29.15-r50";
const LEASE_TTL_MS = 30_000;
const BACKOFF_MS = 8;

/** A clock whose sleeps end when `advance` reaches them, or reject when their signal aborts. */
class SteppedClock implements Clock {
  #micros = 1_000_000_000;
  #timers: { due: number; wake: () => void }[] = [];
  /** Every sleep asked for, in ms. */
  readonly sleeps: number[] = [];

  nowMicros(): number {
    return this.#micros;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (ms <= 0) return resolve();
      const timer = { due: this.#micros + ms * 1000, wake: resolve };
      this.#timers.push(timer);
      signal?.addEventListener(
        "abort",
        () => {
          this.#timers = this.#timers.filter((t) => t !== timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  advance(ms: number): void {
    this.#micros += ms * 1000;
    const due = this.#timers.filter((t) => t.due <= this.#micros);
    this.#timers = this.#timers.filter((t) => t.due > this.#micros);
    for (const timer of due) timer.wake();
  }
}

/** Waits until `condition` holds, yielding to the event loop; fails after a deadline. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

interface Commit {
  readonly change: TaskChange;
  /** The plan as stored: the pause plan when the commit paused. */
  readonly plan: UpgradePlan;
  readonly phase: UpgradeTaskPhase;
  readonly at: number;
}

/** The engine store as the database behaves: lease-guarded commits, a pause honoured only where a commit allows it. */
class RecordingStore implements EngineStore {
  readonly commits: Commit[] = [];
  readonly renewals: { expiresAt: number; fence: number }[] = [];
  readonly released: Lease[] = [];
  readonly inventoryReads: string[] = [];
  pauseRequested = false;
  /** The commit (1 = the first) that finds another worker holding the task. */
  loseLeaseAtCommit: number | undefined;
  /** Answers of the next renewals (true when none is left); an Error is thrown. */
  renewAnswers: (boolean | Error)[] = [];

  constructor(private readonly inventory: ClusterInventory) {}

  async claimRunnableTasks(): Promise<ClaimedTask[]> {
    throw new Error("a task run never claims");
  }

  async renewLease(lease: Lease, expiresAtMicros: number): Promise<boolean> {
    this.renewals.push({ expiresAt: expiresAtMicros, fence: lease.fence });
    const answer = this.renewAnswers.shift() ?? true;
    if (answer instanceof Error) throw answer;
    return answer;
  }

  async releaseLease(lease: Lease): Promise<void> {
    this.released.push({ ...lease });
  }

  async commit(lease: Lease, change: TaskChange, nowMicros: number): Promise<CommitOutcome> {
    if (this.commits.length + 1 === this.loseLeaseAtCommit) return "lost";
    const pausing = change.honourPause && change.phase === "Running" && this.pauseRequested;
    const plan = structuredClone(pausing && change.planIfPaused ? change.planIfPaused() : change.plan);
    const phase = pausing ? "Pause" : change.phase;
    this.commits.push({ change: structuredClone({ ...change, planIfPaused: undefined }), plan, phase, at: nowMicros });
    if (pausing) this.pauseRequested = false;
    lease.fence += 1;
    return { phase };
  }

  async clusterInventory(clusterId: string): Promise<ClusterInventory> {
    this.inventoryReads.push(clusterId);
    return this.inventory;
  }

  /** Node statuses the pre-check rules see; Active unless the test says otherwise. */
  readonly nodeStatus = new Map<string, string>();

  async checkInventory() {
    const nodes = this.inventory.nodes.map((node) => ({ ...node, status: this.nodeStatus.get(node.name) ?? "Active" }));
    return { nodes, addons: this.inventory.addons, deprecatedApis: [] };
  }
}

type Call = {
  readonly op: "observe" | "apply";
  readonly target: string;
  readonly step: number;
  readonly attempt: number;
};

/** A driver that succeeds unless told otherwise, and records every call. */
class ScriptedDriver implements ClusterDriver {
  readonly calls: Call[] = [];
  readonly contexts: StepContext[] = [];
  /** Outcomes by target name, one per apply; success once they run out. */
  readonly outcomes = new Map<string, (TargetOutcome | Error)[]>();
  /** Targets `observe` reports as done. */
  readonly done = new Set<string>();
  /** Runs inside apply, before it answers: the test's hook into a step in flight. */
  during: (target: string, signal: AbortSignal) => Promise<void> | void = () => undefined;

  async observe(context: StepContext, target: Readonly<PlanTarget>): Promise<boolean> {
    this.calls.push({ op: "observe", target: target.name, step: context.stepIndex, attempt: context.attempt });
    return this.done.has(target.name);
  }

  async apply(context: StepContext, target: Readonly<PlanTarget>, signal: AbortSignal): Promise<TargetOutcome> {
    this.calls.push({ op: "apply", target: target.name, step: context.stepIndex, attempt: context.attempt });
    this.contexts.push(context);
    await this.during(target.name, signal);
    const outcome = this.outcomes.get(target.name)?.shift() ?? { ok: true };
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  applied(): string[] {
    return this.calls.filter((c) => c.op === "apply").map((c) => c.target);
  }
}

const fail = (code: string, retryable = false): TargetOutcome => ({
  ok: false,
  failure: { code, message: `${code} happened`, retryable },
});

/** Three nodes in one pool and coredns: steps precheck, etcd-backup, control-plane, coredns, batches [n1], [n2, n3]. */
const INVENTORY: ClusterInventory = {
  version: FROM,
  pools: [{ id: "pool" }],
  nodes: ["n1", "n2", "n3"].map((name) => ({ id: `id-${name}`, name, poolId: "pool", version: FROM, labels: {} })),
  addons: [{ name: "coredns", version: "1.28.4" }],
};
const ACTION: NormalizedUpgradeAction = {
  targetVersion: TO,
  strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 2, scope: "Cluster" } },
  addons: [{ addonTemplateName: "coredns", operation: "patch", version: "1.29.4" }],
};
const STEP_NAMES = ["precheck", "etcd-backup", "control-plane", "coredns", "nodes/batch-1", "nodes/batch-2"];
const TARGETS = ["precheck", "etcd-backup", "control-plane", "coredns", "n1", "n2", "n3"];

function claimed(overrides: Partial<ClaimedTask> = {}): ClaimedTask {
  return {
    id: "task-1",
    projectId: "project-1",
    clusterId: "cluster-1",
    phase: "Queuing",
    fromVersion: FROM,
    targetVersion: TO,
    targetPlatformVersion: "cce.12.0",
    action: ACTION,
    plan: null,
    cursor: 0,
    pauseRequested: false,
    lease: { taskId: "task-1", owner: "worker-1", fence: 7 },
    ...overrides,
  };
}

/** The plan of INVENTORY with the first `done` steps succeeded, as a task that ran them has it. */
function planWithDone(done: number): UpgradePlan {
  const plan = planUpgrade({
    clusterVersion: FROM,
    targetVersion: TO,
    pools: INVENTORY.pools,
    nodes: INVENTORY.nodes,
    addons: INVENTORY.addons,
    action: ACTION,
  });
  for (const step of plan.steps.slice(0, done)) {
    Object.assign(step, { phase: "Success", attempts: 1, startedAt: 1, finishedAt: 2 });
    for (const target of step.targets) Object.assign(target, { phase: "Success", finishedAt: 2 });
  }
  return plan;
}

function setup(deps: Partial<TaskRunDeps> = {}) {
  const store = new RecordingStore(INVENTORY);
  const driver = new ScriptedDriver();
  const clock = new SteppedClock();
  const logs: { level: string; fields: object; message: string }[] = [];
  const full: TaskRunDeps = {
    store,
    driver,
    clock,
    leaseTtlMs: LEASE_TTL_MS,
    maxStepAttempts: 3,
    retryBackoffMs: BACKOFF_MS,
    draining: () => false,
    log: (level, fields, message) => logs.push({ level, fields, message }),
    ...deps,
  };
  const abort = new AbortController();
  const run = (task: ClaimedTask) => runClaimedTask(task, full, abort);
  return { store, driver, clock, logs, abort, run, deps: full };
}

const stepPhases = (plan: UpgradePlan) => plan.steps.map((s) => s.phase);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a task run from start to Success", () => {
  it("plans from the cluster's inventory, queues an Init task, runs every target once and commits Success", async () => {
    const { store, driver, clock, run } = setup();
    expect(await run(claimed({ phase: "Init" }))).toBe("finished");

    expect(store.inventoryReads).toEqual(["cluster-1"]);
    const stepOf = [0, 1, 2, 3, 4, 5, 5];
    expect(driver.calls).toEqual(TARGETS.map((target, i) => ({ op: "apply", target, step: stepOf[i], attempt: 1 })));
    expect(driver.contexts.every((c) => c.taskId === "task-1" && c.clusterId === "cluster-1")).toBe(true);
    expect(driver.contexts.map((c) => c.step.name)).toEqual([
      ...STEP_NAMES.slice(0, 5),
      "nodes/batch-2",
      "nodes/batch-2",
    ]);

    const [queued, started, ...rest] = store.commits;
    expect(queued?.change).toMatchObject({ phase: "Queuing", honourPause: false, cursor: 0, progress: 0 });
    expect(queued?.change).not.toHaveProperty("cluster");
    expect(stepPhases(queued?.plan as UpgradePlan)).toEqual(Array(6).fill("Init"));

    expect(started?.change).toMatchObject({
      phase: "Running",
      honourPause: false,
      cursor: 0,
      cluster: { phase: "Upgrading", statusReason: null },
    });
    expect(started?.plan.steps[0]).toMatchObject({ phase: "Running", attempts: 1, startedAt: clock.nowMicros() });

    const boundaries = rest.slice(0, -1);
    expect(boundaries.map((c) => c.change.cursor)).toEqual([1, 2, 3, 4, 5]);
    for (const boundary of boundaries) {
      const cursor = boundary.change.cursor;
      expect(boundary.change).toMatchObject({ phase: "Running", honourPause: true });
      expect(boundary.change).not.toHaveProperty("cluster");
      expect(stepPhases(boundary.plan)).toEqual([
        ...Array(cursor).fill("Success"),
        "Running",
        ...Array(5 - cursor).fill("Init"),
      ]);
      expect(boundary.plan.steps[cursor]?.attempts).toBe(1);
    }

    const success = rest.at(-1) as Commit;
    expect(success.change).toEqual({
      phase: "Success",
      plan: success.plan,
      cursor: 6,
      progress: 10_000,
      completedAt: clock.nowMicros(),
      failureReason: null,
      honourPause: false,
      cluster: { phase: "Available", version: TO, platformVersion: "cce.12.0", statusReason: null },
      // What the last batch reached rides on the commit that ends the task.
      reached: [
        { kind: "node", key: "id-n2", version: TO },
        { kind: "node", key: "id-n3", version: TO },
      ],
    });
    for (const step of success.plan.steps) {
      expect(step).toMatchObject({ phase: "Success", attempts: 1, error: null, finishedAt: clock.nowMicros() });
      for (const target of step.targets)
        expect(target).toMatchObject({ phase: "Success", finishedAt: clock.nowMicros() });
    }
  });

  it("commits progress that only grows, the done weight of the plan", async () => {
    const { store, run } = setup();
    await run(claimed());
    const progress = store.commits.map((c) => c.change.progress);
    // Weights 5, 5, 20, 5, 10 and 20: 65 in all.
    expect(progress).toEqual([0, 769, 1538, 4615, 5384, 6923, 10_000]);
  });

  it("runs a planned task from its cursor without reading the inventory, and enters Upgrading at its first step", async () => {
    const { store, driver, run } = setup();
    expect(await run(claimed({ phase: "Running", plan: planWithDone(4), cursor: 4 }))).toBe("finished");
    expect(store.inventoryReads).toEqual([]);
    expect(driver.applied()).toEqual(["n1", "n2", "n3"]);
    expect(store.commits[0]?.change).toMatchObject({ cursor: 4, cluster: { phase: "Upgrading" } });
    expect(store.commits.slice(1).filter((c) => c.change.cluster?.phase === "Upgrading")).toEqual([]);
  });

  it("runs the targets of a batch at once", async () => {
    const { driver, run } = setup();
    let inFlight = 0;
    let most = 0;
    driver.during = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
    };
    await run(claimed());
    expect(most).toBe(2);
  });
});

describe("a step that ran before", () => {
  it("observes every target of a step taken over mid-run and applies only those not done", async () => {
    const { driver, store, run } = setup();
    const plan = planWithDone(5);
    Object.assign(plan.steps[5] as PlanStep, { phase: "Running", attempts: 1, startedAt: 1 });
    driver.done.add("n2");
    expect(await run(claimed({ phase: "Running", plan, cursor: 5 }))).toBe("finished");
    expect(driver.calls).toEqual([
      { op: "observe", target: "n2", step: 5, attempt: 2 },
      { op: "observe", target: "n3", step: 5, attempt: 2 },
      { op: "apply", target: "n3", step: 5, attempt: 2 },
    ]);
    expect(store.commits[0]?.plan.steps[5]).toMatchObject({ attempts: 2, startedAt: 1 });
    expect(store.commits.at(-1)?.plan.steps[5]?.targets.map((t) => t.phase)).toEqual(["Success", "Success"]);
  });

  it("leaves the targets a step already finished alone", async () => {
    const { driver, run } = setup();
    const plan = planWithDone(5);
    const batch = plan.steps[5] as PlanStep;
    Object.assign(batch, { phase: "Init", attempts: 1 });
    Object.assign(batch.targets[0] as PlanTarget, { phase: "Success", finishedAt: 2 });
    await run(claimed({ phase: "Queuing", plan, cursor: 5 }));
    expect(driver.calls.map((c) => c.target)).toEqual(["n3", "n3"]);
  });
});

describe("the embedded pre-check", () => {
  /** The scripted driver, able to inspect: `found` is what its inspection answers. */
  function inspecting(driver: ScriptedDriver, found: ClusterInspection) {
    const requests: InspectionRequest[] = [];
    return Object.assign(driver, {
      requests,
      async inspect(_context: StepContext, _target: Readonly<PlanTarget>, request: InspectionRequest) {
        requests.push(request);
        return found;
      },
    });
  }

  it("runs the standalone pre-check's rules: a node that is not Active fails the step, and no apply is made", async () => {
    const { store, driver, run } = setup();
    const inspector = inspecting(driver, { ok: true, failedItems: [] });
    store.nodeStatus.set("n2", "Abnormal");
    expect(await run(claimed())).toBe("failed");
    expect(driver.applied()).toEqual([]);
    expect(inspector.requests).toEqual([{ hasNodes: true }]);
    expect(store.commits.at(-1)?.change.failureReason).toBe(
      "precheck: PreCheckFailed: pre-check failed: NodeStatus on n2 (the node is Abnormal)",
    );
  });

  it("passes past warnings the driver found, as the standalone pre-check does, and goes on", async () => {
    const { driver, run } = setup();
    inspecting(driver, { ok: true, failedItems: [{ item: "DeprecatedAPIs", code: "InUse", message: "old API" }] });
    expect(await run(claimed())).toBe("finished");
    expect(driver.applied()).toEqual(TARGETS.slice(1));
  });

  it("fails with the driver's own failure when it cannot inspect the cluster", async () => {
    const { store, driver, run } = setup();
    inspecting(driver, { ok: false, failure: { code: "HookUnreachable", message: "refused", retryable: false } });
    expect(await run(claimed())).toBe("failed");
    expect(store.commits.at(-1)?.change.failureReason).toBe("precheck: HookUnreachable: refused");
  });
});

describe("a failing step", () => {
  it("fails the task at a step whose failure is not retryable, naming the step, the code and the node", async () => {
    const { store, driver, clock, logs, run } = setup();
    driver.outcomes.set("n3", [fail("PodEvictionFailure")]);
    expect(await run(claimed())).toBe("failed");
    expect(driver.applied()).toEqual(TARGETS);
    const failed = store.commits.at(-1) as Commit;
    const reason = "nodes/batch-2: PodEvictionFailure: n3: PodEvictionFailure happened";
    expect(failed.change).toMatchObject({
      phase: "Failed",
      cursor: 5,
      failureReason: reason,
      honourPause: false,
      cluster: { phase: "Available", statusReason: reason },
    });
    expect(failed.change.progress).toBe(6923);
    const step = failed.plan.steps[5] as PlanStep;
    expect(step).toMatchObject({
      phase: "Failed",
      attempts: 1,
      finishedAt: clock.nowMicros(),
      error: { code: "PodEvictionFailure", message: "n3: PodEvictionFailure happened", retryable: false },
    });
    expect(step.targets.map((t) => [t.name, t.phase, t.finishedAt])).toEqual([
      ["n2", "Success", clock.nowMicros()],
      ["n3", "Failed", null],
    ]);
    expect(logs).toEqual([
      {
        level: "warn",
        fields: { taskId: "task-1", step: "nodes/batch-2", code: "PodEvictionFailure" },
        message: "upgrade step failed",
      },
    ]);
  });

  it("names no target in the reason of a control-plane failure, and runs nothing after it", async () => {
    const { store, driver, run } = setup();
    driver.outcomes.set("control-plane", [fail("EtcdUnhealthy")]);
    expect(await run(claimed())).toBe("failed");
    expect(driver.applied()).toEqual(["precheck", "etcd-backup", "control-plane"]);
    expect(store.commits.at(-1)?.change.failureReason).toBe("control-plane: EtcdUnhealthy: EtcdUnhealthy happened");
  });

  it("names the add-on in an add-on's failure", async () => {
    const { store, driver, run } = setup();
    driver.outcomes.set("coredns", [fail("AddonBroken")]);
    await run(claimed());
    expect(store.commits.at(-1)?.change.failureReason).toBe("coredns: AddonBroken: coredns: AddonBroken happened");
  });

  it("runs a step again after a retryable failure, backing off, observing first, and records the error meanwhile", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const { store, driver, clock, run } = setup();
    driver.outcomes.set("control-plane", [fail("Timeout", true)]);
    const result = run(claimed({ plan: planWithDone(2), cursor: 2 }));
    await until(() => clock.sleeps.includes(0.5 * BACKOFF_MS * 2), "the backoff");
    const retrying = store.commits.at(-1) as Commit;
    expect(retrying.change).toMatchObject({ phase: "Running", honourPause: false, cursor: 2 });
    expect(retrying.plan.steps[2]).toMatchObject({
      phase: "Running",
      attempts: 1,
      error: { code: "Timeout", message: "Timeout happened", retryable: true },
    });
    clock.advance(0.5 * BACKOFF_MS * 2);
    expect(await result).toBe("finished");
    expect(driver.calls.filter((c) => c.step === 2)).toEqual([
      { op: "apply", target: "control-plane", step: 2, attempt: 1 },
      { op: "observe", target: "control-plane", step: 2, attempt: 2 },
      { op: "apply", target: "control-plane", step: 2, attempt: 2 },
    ]);
    expect(store.commits.at(-1)?.plan.steps[2]).toMatchObject({ phase: "Success", attempts: 2, error: null });
  });

  it("fails the task once a retryable failure has used up maxStepAttempts", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const { store, driver, clock, run } = setup();
    driver.outcomes.set("control-plane", [fail("Timeout", true), fail("Timeout", true), fail("Timeout", true)]);
    const result = run(claimed({ plan: planWithDone(2), cursor: 2 }));
    for (const attempt of [1, 2]) {
      const backoff = 0.5 * BACKOFF_MS * 2 ** attempt;
      await until(() => clock.sleeps.includes(backoff), `backoff ${attempt}`);
      clock.advance(backoff);
    }
    expect(await result).toBe("failed");
    expect(driver.applied()).toEqual(["control-plane", "control-plane", "control-plane"]);
    expect(store.commits.at(-1)?.plan.steps[2]).toMatchObject({ phase: "Failed", attempts: 3 });
  });

  it("doubles the backoff from the retry base with each attempt, up to 2^10 times the base, with full jitter", async () => {
    const random = vi.spyOn(Math, "random").mockReturnValue(0.25);
    const { driver, clock, run } = setup({ maxStepAttempts: 13 });
    driver.outcomes.set("control-plane", Array(13).fill(fail("Timeout", true)));
    const result = run(claimed({ plan: planWithDone(2), cursor: 2 }));
    const expected = Array.from({ length: 12 }, (_, i) => 0.25 * BACKOFF_MS * 2 ** Math.min(i + 1, 10));
    for (const [i, backoff] of expected.entries()) {
      await until(() => clock.sleeps.filter((ms) => ms !== LEASE_TTL_MS / 3).length > i, `backoff ${i + 1}`);
      clock.advance(backoff);
    }
    expect(await result).toBe("failed");
    expect(clock.sleeps.filter((ms) => ms !== LEASE_TTL_MS / 3)).toEqual(expected);
    expect(random).toHaveBeenCalled();
  });

  it("takes a driver that throws for a retryable DriverError, whose message stays out of the task", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const { store, driver, clock, run } = setup();
    driver.outcomes.set("etcd-backup", [new Error("database is locked: secret-host")]);
    const result = run(claimed());
    const backoff = 0.5 * BACKOFF_MS * 2;
    await until(() => clock.sleeps.includes(backoff), "backoff after the throw");
    const retrying = store.commits.at(-1)?.plan.steps[1];
    expect(retrying).toMatchObject({ phase: "Running", attempts: 1, error: { code: "DriverError", retryable: true } });
    expect(JSON.stringify(retrying)).not.toContain("secret-host");
    clock.advance(backoff);
    expect(await result).toBe("finished");
    expect(store.released).toEqual([]);
    expect(store.commits.at(-1)?.plan.steps[1]).toMatchObject({ phase: "Success", attempts: 2, error: null });
  });
});

describe("pause", () => {
  it("pauses before any step when the pause was asked for while no worker held the task", async () => {
    const { store, driver, run } = setup();
    store.pauseRequested = true;
    expect(await run(claimed({ phase: "Init", pauseRequested: true }))).toBe("paused");
    expect(driver.calls).toEqual([]);
    expect(store.commits.map((c) => [c.change.phase, c.change.honourPause, c.phase])).toEqual([
      ["Queuing", false, "Queuing"],
      ["Running", true, "Pause"],
    ]);
  });

  it("lets the current step finish and stores the next one unstarted", async () => {
    const { store, driver, run } = setup();
    driver.during = (target) => {
      if (target === "control-plane") store.pauseRequested = true;
    };
    expect(await run(claimed())).toBe("paused");
    expect(driver.applied()).toEqual(["precheck", "etcd-backup", "control-plane"]);
    const paused = store.commits.at(-1) as Commit;
    expect(paused.phase).toBe("Pause");
    expect(paused.change.cursor).toBe(3);
    expect(stepPhases(paused.plan)).toEqual(["Success", "Success", "Success", "Init", "Init", "Init"]);
    expect(paused.plan.steps[3]).toMatchObject({ attempts: 0, startedAt: null });
  });

  it("is not honoured by the commits inside a step: starting it, or recording a retryable failure", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const { store, driver, run } = setup();
    driver.outcomes.set("etcd-backup", [fail("Timeout", true)]);
    driver.during = (target) => {
      if (target === "etcd-backup") store.pauseRequested = true;
    };
    expect(await run(claimed({ plan: planWithDone(1), cursor: 1 }))).toBe("paused");
    expect(driver.applied()).toEqual(["etcd-backup", "etcd-backup"]);
    expect(store.commits.at(-1)?.change.cursor).toBe(2);
  });
});

describe("handing the task back", () => {
  it("releases the lease without running a step when the engine drains before it", async () => {
    const { store, driver, run } = setup({ draining: () => true });
    const task = claimed({ phase: "Init" });
    expect(await run(task)).toBe("released");
    expect(driver.calls).toEqual([]);
    expect(store.released).toEqual([{ taskId: "task-1", owner: "worker-1", fence: 8 }]);
    expect(store.commits.map((c) => c.change.phase)).toEqual(["Queuing"]);
  });

  it("finishes the current step when the engine starts draining, records it and releases before the next", async () => {
    let draining = false;
    const { store, driver, run } = setup({ draining: () => draining });
    driver.during = (target) => {
      if (target === "etcd-backup") draining = true;
    };
    expect(await run(claimed())).toBe("released");
    expect(driver.applied()).toEqual(["precheck", "etcd-backup"]);
    const last = store.commits.at(-1) as Commit;
    expect(last.change.cursor).toBe(2);
    expect(stepPhases(last.plan).slice(0, 3)).toEqual(["Success", "Success", "Init"]);
    expect(last.plan.steps[2]?.attempts).toBe(0);
    expect(store.released).toHaveLength(1);
  });

  it("releases the lease when the engine aborts a step in flight (the drain's grace ran out)", async () => {
    const { store, driver, abort, run } = setup();
    driver.during = async (target, signal) => {
      if (target !== "control-plane") return;
      abort.abort(new Error("drain grace period over"));
      signal.throwIfAborted();
    };
    expect(await run(claimed())).toBe("released");
    expect(store.released).toHaveLength(1);
  });

  it("releases the lease when the step's answer comes after the abort", async () => {
    const { store, driver, abort, run } = setup();
    driver.during = (target) => {
      if (target === "control-plane") abort.abort(new Error("drain grace period over"));
    };
    expect(await run(claimed())).toBe("released");
    expect(driver.applied()).toEqual(["precheck", "etcd-backup", "control-plane"]);
    expect(store.commits.at(-1)?.plan.steps[2]?.phase).toBe("Running");
  });
});

describe("the lease", () => {
  it("stops at the first commit that finds the lease lost, touching nothing more", async () => {
    const { store, driver, run } = setup();
    store.loseLeaseAtCommit = 3;
    expect(await run(claimed())).toBe("lost");
    expect(driver.applied()).toEqual(["precheck", "etcd-backup"]);
    expect(store.commits).toHaveLength(2);
    expect(store.released).toEqual([]);
  });

  it("stops when the Queuing commit finds the lease lost", async () => {
    const { store, driver, run } = setup();
    store.loseLeaseAtCommit = 1;
    expect(await run(claimed({ phase: "Init" }))).toBe("lost");
    expect(driver.calls).toEqual([]);
  });

  it("renews the lease every third of its TTL while a step runs, to now plus the TTL", async () => {
    const { store, driver, clock, run } = setup();
    let release: () => void = () => undefined;
    driver.during = (target) =>
      target === "control-plane" ? new Promise<void>((resolve) => (release = resolve)) : undefined;
    const result = run(claimed());
    await until(() => driver.applied().includes("control-plane"), "the control-plane step");
    expect(clock.sleeps[0]).toBe(LEASE_TTL_MS / 3);
    for (const round of [1, 2]) {
      clock.advance(LEASE_TTL_MS / 3);
      await until(() => store.renewals.length === round, `renewal ${round}`);
      expect(store.renewals[round - 1]?.expiresAt).toBe(clock.nowMicros() + LEASE_TTL_MS * 1000);
    }
    release();
    expect(await result).toBe("finished");
  });

  it("aborts the step in flight and ends the run as lost when a renewal finds the lease gone", async () => {
    const { store, driver, clock, run } = setup();
    let aborted = false;
    driver.during = (target, signal) =>
      target === "control-plane"
        ? new Promise<void>((_, reject) =>
            signal.addEventListener("abort", () => {
              aborted = true;
              // A driver rejects with its own error (a fetch's AbortError): the signal's reason says why.
              reject(new Error("request aborted"));
            }),
          )
        : undefined;
    store.renewAnswers = [false];
    const result = run(claimed());
    await until(() => driver.applied().includes("control-plane"), "the control-plane step");
    clock.advance(LEASE_TTL_MS / 3);
    expect(await result).toBe("lost");
    expect(aborted).toBe(true);
    expect(store.released).toEqual([]);
  });

  it("also ends as lost when the step finishes despite the abort of a lost lease", async () => {
    const { store, driver, clock, run } = setup();
    driver.during = async (target, signal) => {
      if (target !== "control-plane") return;
      clock.advance(LEASE_TTL_MS / 3);
      await until(() => signal.aborted, "the abort");
    };
    store.renewAnswers = [false];
    expect(await run(claimed())).toBe("lost");
    expect(store.commits.at(-1)?.plan.steps[2]?.phase).toBe("Running");
  });

  it("takes a failed renewal for its own commit's doing when the fence moved meanwhile, and keeps the lease", async () => {
    const { store, driver, clock, run } = setup();
    let release: () => void = () => undefined;
    driver.during = (target) => {
      if (target === "etcd-backup") clock.advance(LEASE_TTL_MS / 3);
      return target === "control-plane" ? new Promise<void>((resolve) => (release = resolve)) : undefined;
    };
    // The renewal, woken during etcd-backup, reads the fence before the commit that ends that step bumps it.
    store.renewLease = async (lease, expiresAtMicros) => {
      store.renewals.push({ expiresAt: expiresAtMicros, fence: lease.fence });
      await until(() => driver.applied().includes("control-plane"), "the next step");
      return false;
    };
    const result = run(claimed());
    await until(() => store.renewals.length === 1 && driver.applied().includes("control-plane"), "the renewal");
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await result).toBe("finished");
  });

  it("logs a renewal that throws and carries on renewing", async () => {
    const { store, driver, clock, logs, run } = setup();
    let release: () => void = () => undefined;
    driver.during = (target) =>
      target === "control-plane" ? new Promise<void>((resolve) => (release = resolve)) : undefined;
    const error = new Error("connection reset");
    store.renewAnswers = [error, true];
    const result = run(claimed());
    await until(() => driver.applied().includes("control-plane"), "the control-plane step");
    clock.advance(LEASE_TTL_MS / 3);
    await until(() => logs.length === 1, "the warning");
    expect(logs[0]).toEqual({
      level: "warn",
      fields: { taskId: "task-1", err: error },
      message: "lease renewal failed; retrying",
    });
    clock.advance(LEASE_TTL_MS / 3);
    await until(() => store.renewals.length === 2, "the second renewal");
    release();
    expect(await result).toBe("finished");
  });
});

describe("metrics", () => {
  it("reports each step's kind and how long its targets ran", async () => {
    const finished: [string, number][] = [];
    const { driver, clock, run } = setup({
      metrics: { stepFinished: (kind, seconds) => finished.push([kind, seconds]), leaseTakenOver: () => undefined },
    });
    driver.during = (target) => {
      if (target === "control-plane") clock.advance(2_500);
    };
    await run(claimed());
    expect(finished).toEqual([
      ["precheck", 0],
      ["backup", 0],
      ["master", 2.5],
      ["addon", 0],
      ["node", 0],
      ["node", 0],
    ]);
  });
});
