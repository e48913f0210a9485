import { describe, expect, it } from "vitest";
import { PRECHECK_PHASES } from "../../src/domain/upgrade-checks.js";
import { UPGRADE_TASK_PHASES } from "../../src/domain/upgrade-task.js";
import {
  decideCancel,
  POINT_STATUSES,
  type PointStatusValue,
  type PointTask,
  precheckPointStatus,
  upgradePointStatus,
  type WorkflowPhase,
  type WorkflowPoint,
  type WorkflowTasks,
  workflowLines,
  workflowPhase,
  workflowPoints,
} from "../../src/domain/upgrade-workflow.js";

const task = (status: PointStatusValue, taskId = `task-${status}`): PointTask => ({
  taskId,
  status,
  startedAt: 1,
  endedAt: null,
});

/** A step's state: no task yet, or a task in one of the statuses. */
const STEP_STATES = [undefined, ...POINT_STATUSES] as const;

describe("workflowPoints", () => {
  it("orders pre-check, upgrade, post-check, with the backup before the upgrade only when one was taken", () => {
    const tasks: WorkflowTasks = { preCheck: task("Success"), cluster: task("Running") };
    expect(workflowPoints(tasks)).toEqual([
      { taskType: "PreCheck", task: tasks.preCheck },
      { taskType: "Cluster", task: tasks.cluster },
      { taskType: "PostCheck", task: undefined },
    ]);
    const snapshot = task("Success", "backup");
    expect(workflowPoints({ ...tasks, snapshot }).map((p) => [p.taskType, p.task?.taskId])).toEqual([
      ["PreCheck", "task-Success"],
      ["Snapshot", "backup"],
      ["Cluster", "task-Running"],
      ["PostCheck", undefined],
    ]);
    expect(workflowPoints({}).map((p) => p.taskType)).toEqual(["PreCheck", "Cluster", "PostCheck"]);
  });
});

describe("workflowLines", () => {
  it("joins each step to the next; the edges into the upgrade are critical, the one into the post-check not", () => {
    expect(workflowLines(workflowPoints({ snapshot: task("Success") }))).toEqual([
      { startPoint: { taskType: "PreCheck" }, endPoint: { taskType: "Snapshot" }, critical: true },
      { startPoint: { taskType: "Snapshot" }, endPoint: { taskType: "Cluster" }, critical: true },
      { startPoint: { taskType: "Cluster" }, endPoint: { taskType: "PostCheck" }, critical: false },
    ]);
    expect(workflowLines(workflowPoints({}))).toEqual([
      { startPoint: { taskType: "PreCheck" }, endPoint: { taskType: "Cluster" }, critical: true },
      { startPoint: { taskType: "Cluster" }, endPoint: { taskType: "PostCheck" }, critical: false },
    ]);
    expect(workflowLines([])).toEqual([]);
  });
});

/** The rule as the README states it, case by case. */
function expectedPhase(cancelled: boolean, states: readonly (PointStatusValue | undefined)[]): WorkflowPhase {
  if (cancelled) return "Cancel";
  if (states.some((s) => s === "Failed")) return "Pending";
  if (states.every((s) => s === "Success")) return "Success";
  if (states.some((s) => s === "Queuing" || s === "Running" || s === "Success")) return "Running";
  return "Init";
}

/** Every combination of step states for the three steps, and for the four with a backup. */
function combinations(length: number): (PointStatusValue | undefined)[][] {
  if (length === 0) return [[]];
  return combinations(length - 1).flatMap((rest) => STEP_STATES.map((state) => [state, ...rest]));
}

function points(states: readonly (PointStatusValue | undefined)[]): WorkflowPoint[] {
  const [preCheck, ...others] = states.map((state) => (state === undefined ? undefined : task(state)));
  const tasks: WorkflowTasks =
    others.length === 3
      ? { preCheck, snapshot: others[0] ?? task("Init"), cluster: others[1], postCheck: others[2] }
      : { preCheck, cluster: others[0], postCheck: others[1] };
  return workflowPoints(tasks);
}

describe("workflowPhase", () => {
  const all = [...combinations(3), ...combinations(4).filter((states) => states[1] !== undefined)];

  it("derives the phase of every combination of step states (with and without a backup)", () => {
    expect(all).toHaveLength(6 ** 3 + 5 * 6 ** 3);
    const wrong = all.filter((states) => {
      const stepPoints = points(states);
      return (
        stepPoints.length !== states.length ||
        workflowPhase(false, stepPoints) !== expectedPhase(false, states) ||
        workflowPhase(true, stepPoints) !== "Cancel"
      );
    });
    expect(wrong).toEqual([]);
  });

  it.each([
    [[undefined, undefined, undefined], "Init"],
    [["Init", "Init", "Init"], "Init"],
    [["Queuing", undefined, undefined], "Running"],
    [["Success", undefined, undefined], "Running"],
    [["Success", "Running", undefined], "Running"],
    [["Success", "Failed", undefined], "Pending"],
    [["Failed", "Success", "Success"], "Pending"],
    [["Success", "Success", "Init"], "Running"],
    [["Success", "Success", "Success"], "Success"],
    [["Success", "Success", "Success", "Success"], "Success"],
    [["Success", "Failed", "Running", "Success"], "Pending"],
  ] as const)("%j → %s", (states, phase) => {
    expect(workflowPhase(false, points(states))).toBe(phase);
  });

  it("is Success only when every step has a task that succeeded: a missing post-check keeps it Running", () => {
    expect(workflowPhase(false, points(["Success", "Success", undefined]))).toBe("Running");
  });
});

describe("decideCancel", () => {
  it("refuses a cancelled or finished workflow", () => {
    const stepPoints = points(["Success", "Success", "Success"]);
    expect(decideCancel("Cancel", stepPoints)).toEqual({ ok: false, reason: "the workflow is already cancelled" });
    expect(decideCancel("Success", stepPoints)).toEqual({ ok: false, reason: "the workflow has finished" });
  });

  it.each(["Queuing", "Running"] as const)("refuses while the upgrade is %s, naming its task", (status) => {
    const stepPoints = points(["Success", status, undefined]);
    expect(decideCancel("Running", stepPoints)).toEqual({
      ok: false,
      reason: `the upgrade task task-${status} is ${status}; it cannot be cancelled`,
    });
    const withBackup = points(["Success", "Success", status, undefined]);
    expect(decideCancel("Running", withBackup)).toMatchObject({ ok: false });
  });

  it.each([
    ["Init", [undefined, undefined, undefined]],
    ["Running", ["Running", undefined, undefined]],
    ["Running", ["Success", "Init", undefined]],
    ["Pending", ["Failed", undefined, undefined]],
    ["Pending", ["Success", "Failed", undefined]],
    ["Running", ["Success", "Success", "Running"]],
    ["Running", ["Running", "Running", "Success", undefined]],
  ] as const)("allows a %s workflow with steps %j", (phase, states) => {
    expect(decideCancel(phase, points(states))).toEqual({ ok: true });
  });

  it("looks only at the upgrade step: a running pre-check, backup or post-check does not block", () => {
    expect(decideCancel("Running", points(["Queuing", "Running", "Success", "Running"]))).toEqual({ ok: true });
  });
});

describe("step statuses of tasks", () => {
  it("shows a pre-check in Error as a failed step, every other phase as itself", () => {
    expect(PRECHECK_PHASES.map(precheckPointStatus)).toEqual(["Init", "Running", "Success", "Failed", "Failed"]);
  });

  it("shows a paused upgrade as a running step, every other phase as itself", () => {
    expect(UPGRADE_TASK_PHASES.map(upgradePointStatus)).toEqual([
      "Init",
      "Queuing",
      "Running",
      "Running",
      "Success",
      "Failed",
    ]);
    expect(UPGRADE_TASK_PHASES.map(upgradePointStatus).every((s) => POINT_STATUSES.includes(s))).toBe(true);
  });
});
