import { describe, expect, it } from "vitest";
import type { ClusterInspection, PrecheckInput, PrecheckResult } from "../../src/domain/upgrade-checks.js";
import type { PlanTarget } from "../../src/domain/upgrade-plan.js";
import {
  type CheckRunnerOptions,
  CheckTaskRunner,
  type CheckTaskStore,
  type DueCheckTask,
  type HeldCheckTask,
  type SnapshotResult,
} from "../../src/engine/check-runner.js";
import type {
  ClusterCheckDriver,
  ClusterDriverLookup,
  InspectionRequest,
  StepContext,
  TargetOutcome,
} from "../../src/engine/ports.js";
import { HeldClock, until } from "../support/held-clock.js";

/** The check runner through its ports: a store that hands out scripted due tasks, and a driver that records calls. */

const NOW = 5_000_000_000;
const OPTIONS: CheckRunnerOptions = { pollIntervalMs: 250, holdMs: 30_000, precheckValidityMs: 3_600_000 };

type Move = readonly [string, ...unknown[]];

const KNOWN: Omit<PrecheckInput, "inspection"> = {
  cluster: { version: "v1.28.15-r30", phase: "Available", hasActiveUpgrade: false },
  targetVersion: "v1.29.15-r50",
  nodes: [{ id: "uid-1", name: "n1", poolId: "DefaultPool", status: "Active", version: "v1.28.15-r30" }],
  addons: [],
  deprecatedApis: [],
  skipped: [],
};

class RecordingCheckStore implements CheckTaskStore {
  readonly moves: Move[] = [];
  readonly asked: [number, number][] = [];
  /** What each call of dueTasks answers, in turn; nothing once they run out. An Error is thrown. */
  rounds: (DueCheckTask[] | Error)[] = [];
  /** Tasks another runner moves first: their move answers false. */
  readonly movedElsewhere = new Set<string>();
  /** Holds that are lost at their first renewal. */
  readonly holdsLost = new Set<string>();

  async dueTasks(nowMicros: number, limit: number): Promise<DueCheckTask[]> {
    this.asked.push([nowMicros, limit]);
    const round = this.rounds.shift() ?? [];
    if (round instanceof Error) throw round;
    return round;
  }
  async startTask(task: DueCheckTask, nowMicros: number): Promise<boolean> {
    this.moves.push(["start", task.id, nowMicros]);
    return !this.movedElsewhere.has(task.id);
  }
  async holdTask(task: DueCheckTask, nowMicros: number, untilMicros: number): Promise<HeldCheckTask | undefined> {
    this.moves.push(["hold", task.id, nowMicros, untilMicros]);
    if (this.movedElsewhere.has(task.id)) return undefined;
    return { ...task, fence: task.fence + 1, attempt: task.fence };
  }
  async extendHold(task: HeldCheckTask, untilMicros: number): Promise<boolean> {
    this.moves.push(["extend", task.id, untilMicros]);
    return !this.holdsLost.has(task.id);
  }
  /** What precheckInput answers. */
  input: Omit<PrecheckInput, "inspection"> = KNOWN;
  async precheckInput(): Promise<Omit<PrecheckInput, "inspection">> {
    return this.input;
  }
  async finishPrecheck(task: HeldCheckTask, nowMicros: number, expiresAt: number, result: PrecheckResult) {
    this.moves.push(["finishPrecheck", task.id, task.fence, nowMicros, expiresAt, result.phase, result.message]);
    return true;
  }
  async finishSnapshot(task: HeldCheckTask, nowMicros: number, result: SnapshotResult) {
    this.moves.push(["finishSnapshot", task.id, task.fence, nowMicros, result.phase, result.message]);
    return true;
  }
}

type Call = readonly [string, StepContext, Readonly<PlanTarget>, InspectionRequest?];

/** A driver whose answers the test sets; every call is recorded with its context. */
class ScriptedDriver implements ClusterCheckDriver, ClusterDriverLookup {
  readonly calls: Call[] = [];
  readonly clusters: string[] = [];
  observed = false;
  applied: (signal: AbortSignal) => Promise<TargetOutcome> = async () => ({ ok: true });
  inspection: ClusterInspection = { ok: true, failedItems: [] };

  async forCluster(clusterId: string): Promise<ClusterCheckDriver> {
    this.clusters.push(clusterId);
    return this;
  }
  async observe(context: StepContext, target: Readonly<PlanTarget>): Promise<boolean> {
    this.calls.push(["observe", context, target]);
    return this.observed;
  }
  async apply(context: StepContext, target: Readonly<PlanTarget>, signal: AbortSignal): Promise<TargetOutcome> {
    this.calls.push(["apply", context, target]);
    return this.applied(signal);
  }
  async inspect(context: StepContext, target: Readonly<PlanTarget>, request: InspectionRequest) {
    this.calls.push(["inspect", context, target, request]);
    return this.inspection;
  }
}

/** A task as the store reads it; fence 1 is a task just started, so its first hold is attempt 1. */
const task = (kind: DueCheckTask["kind"], phase: DueCheckTask["phase"], id: string, fence = 1): DueCheckTask => ({
  kind,
  id,
  clusterId: `cluster-of-${id}`,
  phase,
  fence,
});

function setup(options: Partial<CheckRunnerOptions> = {}) {
  const store = new RecordingCheckStore();
  const driver = new ScriptedDriver();
  const clock = new HeldClock(NOW);
  const errors: [object, string][] = [];
  const logger = { info() {}, warn() {}, error: (fields: object, message: string) => errors.push([fields, message]) };
  const runner = new CheckTaskRunner(store, driver, clock, { ...OPTIONS, ...options }, logger);
  return { store, driver, clock, errors, runner };
}

const HOLD_UNTIL = NOW + 30_000_000;

describe("CheckTaskRunner.runOnce: moves", () => {
  it("starts Init tasks due at once, and holds Running ones for holdMs before asking the driver", async () => {
    const { store, driver, runner } = setup();
    store.rounds = [[task("precheck", "Init", "p-init", 0), task("snapshot", "Running", "s-run")]];
    expect(await runner.runOnce()).toBe(2);
    expect(store.asked).toEqual([[NOW, 64]]);
    expect(store.moves).toEqual([
      ["start", "p-init", NOW],
      ["hold", "s-run", NOW, HOLD_UNTIL],
      ["finishSnapshot", "s-run", 2, NOW, "Success", "control-plane backup taken"],
    ]);
    expect(driver.clusters).toEqual(["cluster-of-s-run"]);
  });

  it("counts only the moves it made, and asks no driver about a task another runner took", async () => {
    const { store, driver, runner } = setup();
    store.rounds = [
      [task("precheck", "Init", "a", 0), task("snapshot", "Running", "b"), task("snapshot", "Running", "c")],
    ];
    store.movedElsewhere.add("a").add("c");
    expect(await runner.runOnce()).toBe(1);
    expect(driver.calls.map(([kind, context]) => [kind, context.taskId])).toEqual([["apply", "b"]]);
  });
});

describe("CheckTaskRunner: a backup is the driver's backup step", () => {
  it("applies a `backup` step named master-backup, with the hold's fence, and nothing else", async () => {
    const { store, driver, runner } = setup();
    store.rounds = [[task("snapshot", "Running", "s")]];
    await runner.runOnce();
    expect(driver.calls).toHaveLength(1);
    const [kind, context, target] = driver.calls[0] as Call;
    expect(kind).toBe("apply");
    expect(context).toMatchObject({ taskId: "s", clusterId: "cluster-of-s", stepIndex: 0, attempt: 1, fence: 2 });
    expect(context.step).toMatchObject({ kind: "backup", name: "master-backup", phase: "Running", targets: [target] });
    expect(target.name).toBe("master-backup");
  });

  it("ends Failed with the driver's code and reason when the backup fails", async () => {
    const { store, driver, runner } = setup();
    driver.applied = async () => ({
      ok: false,
      failure: { code: "HookFailed", message: "etcdctl: no space left", retryable: false },
    });
    store.rounds = [[task("snapshot", "Running", "s")]];
    await runner.runOnce();
    expect(store.moves.at(-1)).toEqual(["finishSnapshot", "s", 2, NOW, "Failed", "HookFailed: etcdctl: no space left"]);
  });

  it("asks a taken-over backup whether it was taken, and takes it only if not", async () => {
    const { store, driver, runner } = setup();
    driver.observed = true;
    store.rounds = [[task("snapshot", "Running", "done", 2)], [task("snapshot", "Running", "not-done", 2)]];
    await runner.runOnce();
    expect(driver.calls.map(([kind]) => kind)).toEqual(["observe"]);
    expect(store.moves.at(-1)).toEqual(["finishSnapshot", "done", 3, NOW, "Success", "control-plane backup taken"]);
    driver.observed = false;
    await runner.runOnce();
    expect(driver.calls.map(([kind, context]) => [kind, context.taskId, context.attempt])).toEqual([
      ["observe", "done", 2],
      ["observe", "not-done", 2],
      ["apply", "not-done", 2],
    ]);
  });

  it("turns a driver that throws into a Failed backup with a code, and logs what it threw", async () => {
    const { store, driver, errors, runner } = setup();
    const thrown = new TypeError("cannot read properties of undefined");
    driver.applied = async () => {
      throw thrown;
    };
    store.rounds = [[task("snapshot", "Running", "s")]];
    await runner.runOnce();
    expect(store.moves.at(-1)).toEqual([
      "finishSnapshot",
      "s",
      2,
      NOW,
      "Failed",
      "DriverError: the driver threw; the server log has the details",
    ]);
    expect(errors).toEqual([[{ err: thrown, taskId: "s" }, "a check task's driver threw"]]);
  });

  it("still works on a task at its third hold", async () => {
    const { store, driver, runner } = setup();
    store.rounds = [[task("snapshot", "Running", "s", 3)]];
    await runner.runOnce();
    expect(driver.calls.map(([kind, context]) => [kind, context.attempt])).toEqual([
      ["observe", 3],
      ["apply", 3],
    ]);
    expect(store.moves.at(-1)?.[4]).toBe("Success");
  });

  it("ends a task taken over three times Failed, without asking the driver again", async () => {
    const { store, driver, runner } = setup();
    store.rounds = [[task("snapshot", "Running", "s", 4)]];
    await runner.runOnce();
    expect(driver.calls).toEqual([]);
    expect(store.moves.at(-1)).toEqual([
      "finishSnapshot",
      "s",
      5,
      NOW,
      "Failed",
      "CheckAttemptsExhausted: the task was taken over 3 times after its runner stopped; create a new one",
    ]);
  });

  it("renews the hold while the driver works, and abandons the work without a result once the hold is lost", async () => {
    const { store, driver, runner } = setup({ holdMs: 30 });
    let aborted = false;
    driver.applied = (signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(signal.reason);
        }),
      );
    store.holdsLost.add("s");
    store.rounds = [[task("snapshot", "Running", "s")]];
    expect(await runner.runOnce()).toBe(0);
    expect(aborted).toBe(true);
    expect(store.moves).toEqual([
      ["hold", "s", NOW, NOW + 30_000],
      ["extend", "s", NOW + 30_000],
    ]);
  });
});

describe("CheckTaskRunner: a pre-check asks the driver about the cluster", () => {
  it("sends a `precheck` step with the versions and whether there are nodes, and stores the rules' verdict", async () => {
    const { store, driver, runner } = setup();
    driver.inspection = {
      ok: true,
      failedItems: [{ item: "NodeStatus", code: "NodeNotReady", message: "kubelet down" }],
    };
    store.rounds = [[task("precheck", "Running", "p")]];
    await runner.runOnce();
    const [kind, context, target, request] = driver.calls[0] as Call;
    expect(kind).toBe("inspect");
    expect(context.step).toMatchObject({ kind: "precheck", name: "precheck" });
    expect(target).toMatchObject({ name: "precheck", fromVersion: "v1.28.15-r30", toVersion: "v1.29.15-r50" });
    expect(request).toEqual({ hasNodes: true });
    expect(store.moves.at(-1)).toEqual([
      "finishPrecheck",
      "p",
      2,
      NOW,
      NOW + 3_600_000_000,
      "Failed",
      "pre-check failed: NodeStatus on n1 (kubelet down)",
    ]);
  });

  it("tells the driver when the cluster has no nodes", async () => {
    const { store, driver, runner } = setup();
    store.input = { ...KNOWN, nodes: [] };
    store.rounds = [[task("precheck", "Running", "p")]];
    await runner.runOnce();
    expect(driver.calls[0]?.[3]).toEqual({ hasNodes: false });
  });

  it("ends in Error with the driver's reason when the driver cannot inspect the cluster", async () => {
    const { store, driver, runner } = setup();
    driver.inspection = { ok: false, failure: { code: "HookUnreachable", message: "refused", retryable: true } };
    store.rounds = [[task("precheck", "Running", "p")]];
    await runner.runOnce();
    expect(store.moves.at(-1)?.slice(5)).toEqual(["Error", "pre-check could not run: HookUnreachable: refused"]);
  });
});

describe("CheckTaskRunner's loop", () => {
  it("takes due tasks every poll interval and stops", async () => {
    const { store, clock, runner } = setup();
    store.rounds = [[task("precheck", "Init", "a", 0)], [task("precheck", "Running", "a")], []];
    runner.start();
    runner.start();
    await until(() => clock.sleeps.length === 1, "the first sleep");
    expect(store.moves.map((m) => m[0])).toEqual(["start"]);
    clock.wake();
    await until(() => store.moves.length === 3, "the pre-check's hold and result");
    expect(store.moves.map((m) => m[0])).toEqual(["start", "hold", "finishPrecheck"]);
    expect(clock.sleeps).toEqual([250, 250]);
    await runner.stop();
    expect(store.asked).toHaveLength(2);
  });

  it("logs a failing round and tries again after the poll interval", async () => {
    const { store, clock, errors, runner } = setup();
    const error = new Error("database is locked");
    store.rounds = [error, [task("snapshot", "Running", "s")]];
    runner.start();
    await until(() => clock.sleeps.length === 1, "the pause after the failure");
    expect(errors).toEqual([[{ err: error }, "moving check tasks failed; retrying"]]);
    clock.wake();
    await until(() => store.moves.length === 2, "the next round");
    await runner.stop();
  });

  it("aborts a driver call under way when stopped, leaving the task to the next runner", async () => {
    const { store, driver, runner } = setup();
    let aborted = false;
    driver.applied = (signal) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(signal.reason);
        }),
      );
    store.rounds = [[task("snapshot", "Running", "s")]];
    runner.start();
    await until(() => driver.calls.length === 1, "the backup under way");
    await runner.stop();
    expect(aborted).toBe(true);
    expect(store.moves.map((m) => m[0])).toEqual(["hold"]);
  });

  it("moves a task once while its driver works, though later rounds find it due again", async () => {
    const { store, driver, clock, runner } = setup();
    driver.applied = (signal) =>
      new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    store.rounds = [[task("snapshot", "Running", "s")], [task("snapshot", "Running", "s")]];
    runner.start();
    await until(() => clock.sleeps.length === 1, "the first round");
    clock.wake();
    await until(() => store.asked.length === 2 && clock.sleeps.length === 2, "the second round");
    await runner.stop();
    expect(store.moves.filter(([move]) => move === "hold")).toHaveLength(1);
  });

  it("logs a move that fails and goes on: the task is due again, nothing is left unhandled", async () => {
    const { store, clock, errors, runner } = setup();
    const lost = new Error("connection terminated");
    store.holdTask = async () => {
      throw lost;
    };
    store.rounds = [[task("snapshot", "Running", "s")], [task("precheck", "Init", "p", 0)]];
    runner.start();
    await until(() => errors.length === 1 && clock.sleeps.length === 1, "the failed move logged");
    expect(errors).toEqual([[{ err: lost, taskId: "s" }, "moving a check task failed; it is due again"]]);
    clock.wake();
    await until(() => store.moves.some(([move]) => move === "start"), "the next round's move");
    await runner.stop();
  });

  it("stops without having started", async () => {
    const { runner } = setup();
    await runner.stop();
  });
});
