import type { PrecheckPhase } from "./upgrade-checks.js";
import type { UpgradeTaskPhase } from "./upgrade-task.js";

/** `WorkFlowStatus.phase`. */
export const WORKFLOW_PHASES = ["Init", "Running", "Pending", "Success", "Cancel"] as const;
export type WorkflowPhase = (typeof WORKFLOW_PHASES)[number];

/** `PointStatus.status`. */
export const POINT_STATUSES = ["Init", "Queuing", "Running", "Success", "Failed"] as const;
export type PointStatusValue = (typeof POINT_STATUSES)[number];

/** `PointStatus.taskType`. */
export const TASK_TYPES = ["Cluster", "PreCheck", "Rollback", "Snapshot", "PostCheck"] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** The task behind one step of a workflow, as found among the cluster's real tasks. */
export interface PointTask {
  readonly taskId: string;
  readonly status: PointStatusValue;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly expiresAt?: number | null;
}

/** The newest task of each kind that belongs to the workflow (same cluster and versions, within its lifetime). */
export interface WorkflowTasks {
  readonly preCheck?: PointTask | undefined;
  readonly snapshot?: PointTask | undefined;
  readonly cluster?: PointTask | undefined;
  readonly postCheck?: PointTask | undefined;
}

export interface WorkflowPoint {
  readonly taskType: TaskType;
  readonly task: PointTask | undefined;
}

/** The steps in order: pre-check, the backup only when one was taken, the upgrade, the post-check. */
export function workflowPoints(tasks: WorkflowTasks): WorkflowPoint[] {
  return [
    { taskType: "PreCheck" as const, task: tasks.preCheck },
    ...(tasks.snapshot ? [{ taskType: "Snapshot" as const, task: tasks.snapshot }] : []),
    { taskType: "Cluster" as const, task: tasks.cluster },
    { taskType: "PostCheck" as const, task: tasks.postCheck },
  ];
}

/** The edges between the steps; the ones into the upgrade are critical (`LineStatus.critical`). */
export function workflowLines(points: readonly WorkflowPoint[]) {
  return points.slice(1).map((point, index) => ({
    startPoint: { taskType: (points[index] as WorkflowPoint).taskType },
    endPoint: { taskType: point.taskType },
    critical: point.taskType !== "PostCheck",
  }));
}

/**
 * The workflow's phase from its steps: `Cancel` once cancelled, `Pending` while a step's task failed, `Success` when
 * every step succeeded, `Running` once any step's task has started, else `Init`.
 */
export function workflowPhase(cancelled: boolean, points: readonly WorkflowPoint[]): WorkflowPhase {
  if (cancelled) return "Cancel";
  const statuses = points.map((point) => point.task?.status ?? "Init");
  if (statuses.includes("Failed")) return "Pending";
  if (statuses.every((status) => status === "Success")) return "Success";
  if (statuses.some((status) => status !== "Init")) return "Running";
  return "Init";
}

/**
 * Whether PATCH `Cancel` is allowed: not once finished or cancelled, and not while the upgrade itself is queued or
 * running (the critical edge into it is being walked).
 */
export function decideCancel(
  phase: WorkflowPhase,
  points: readonly WorkflowPoint[],
): { ok: true } | { ok: false; reason: string } {
  if (phase === "Cancel") return { ok: false, reason: "the workflow is already cancelled" };
  if (phase === "Success") return { ok: false, reason: "the workflow has finished" };
  const upgrade = points.find((point) => point.taskType === "Cluster")?.task;
  if (upgrade && (upgrade.status === "Queuing" || upgrade.status === "Running")) {
    return { ok: false, reason: `the upgrade task ${upgrade.taskId} is ${upgrade.status}; it cannot be cancelled` };
  }
  return { ok: true };
}

/** A pre-check's phase as a step status: `Error` is a failed step. */
export function precheckPointStatus(phase: PrecheckPhase): PointStatusValue {
  return phase === "Error" ? "Failed" : phase;
}

/** An upgrade task's phase as a step status: a paused upgrade is still under way. */
export function upgradePointStatus(phase: UpgradeTaskPhase): PointStatusValue {
  return phase === "Pause" ? "Running" : phase;
}
