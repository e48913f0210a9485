import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { resetFailedStep, type UpgradePlan } from "../../domain/upgrade-plan.js";
import { type ControlDecision, decideControl, type UpgradeControl } from "../../domain/upgrade-task.js";
import {
  type ControlWrite,
  findCurrentUpgradeTask,
  type UpgradeTaskRow,
  writeControl,
} from "../../store/upgrade-task-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { lifecycle } from "../lifecycle-refusal.js";
import { requireCluster } from "../require-cluster.js";
import { ClusterParams, withErrors } from "../schemas/common.js";
import { UpgradeControlResponse } from "../schemas/upgrade-task.js";

const CONTROLS: readonly { control: UpgradeControl; operationId: string; summary: string }[] = [
  {
    control: "pause",
    operationId: "PauseUpgradeClusterTask",
    summary: "Pause after the current step (CCE: deprecated).",
  },
  {
    control: "continue",
    operationId: "ContinueUpgradeClusterTask",
    summary: "Resume a paused upgrade (CCE: deprecated).",
  },
  {
    control: "retry",
    operationId: "RetryUpgradeClusterTask",
    summary: "Re-run a failed upgrade from the failed step.",
  },
];

/** Concurrent writers (the engine) may move the task between read and write; the control is re-decided. */
const MAX_CONTROL_ATTEMPTS = 20;

/** Pause, Continue and Retry (reference §2.4–2.6): they act on the cluster's current task. */
export function upgradeControlRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock } = context;

  async function applyControl(projectId: string, clusterId: string, control: UpgradeControl): Promise<void> {
    await requireCluster(store.db, projectId, clusterId);
    for (let attempt = 0; attempt < MAX_CONTROL_ATTEMPTS; attempt++) {
      const task = await findCurrentUpgradeTask(store.db, projectId, clusterId);
      if (!task) throw new ApiError("resourceNotFound", `cluster ${clusterId} has no upgrade task`);
      const decision = decideControl(task.phase, task.requested_control === "pause", control, isOnLastStep(task));
      if (decision.kind === "refuse") throw new ApiError("clusterStateForbids", decision.reason);
      const now = clock.nowMicros();
      if (await lifecycle(() => writeControl(store.db, task, controlWrite(task, decision, now), now))) return;
      await clock.sleep(5 * (attempt + 1));
    }
    throw new ApiError("outOfDateVersion", "the upgrade task kept changing; try again");
  }

  return async (app) => {
    for (const { control, operationId, summary } of CONTROLS) {
      app.post(
        `/api/v3/projects/:project_id/clusters/:cluster_id/operation/upgrade/${control}`,
        {
          schema: {
            operationId,
            summary,
            params: ClusterParams,
            response: withErrors({ 200: UpgradeControlResponse }),
          },
        },
        async (request) => {
          await applyControl(request.params.project_id, request.params.cluster_id, control);
          return {};
        },
      );
    }
  };
}

/**
 * Whether the worker has started the plan's last step. The pause request is written only if the fence is still the
 * one read here, so a worker starting the last step meanwhile makes the request be decided again.
 */
function isOnLastStep(task: UpgradeTaskRow): boolean {
  if (task.plan === null) return false;
  const { steps } = JSON.parse(task.plan) as UpgradePlan;
  return task.step_cursor === steps.length - 1 && steps[task.step_cursor]?.phase === "Running";
}

/** Turns a decision into a write. A queued task some worker holds is paused through the worker, like a running one. */
function controlWrite(
  task: UpgradeTaskRow,
  decision: Exclude<ControlDecision, { kind: "refuse" }>,
  now: number,
): ControlWrite {
  const leaseHeld = task.lease_owner !== null && (task.lease_expires_at ?? 0) > now;
  switch (decision.kind) {
    case "request-pause":
      return { kind: "pause-request", requested: true };
    case "withdraw-pause":
      return { kind: "pause-request", requested: false };
    case "set-phase":
      if (decision.phase === "Pause" && leaseHeld) return { kind: "pause-request", requested: true };
      if (task.phase === "Failed" && task.plan !== null) {
        const plan = resetFailedStep(JSON.parse(task.plan) as UpgradePlan, task.step_cursor);
        return { kind: "phase", phase: decision.phase, plan: JSON.stringify(plan) };
      }
      return { kind: "phase", phase: decision.phase };
  }
}
