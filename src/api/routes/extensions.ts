import { randomUUID } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { FaultRule } from "../../domain/fault-rule.js";
import { formatGoTime } from "../../domain/go-time.js";
import type { UpgradePlan } from "../../domain/upgrade-plan.js";
import { formatProgress } from "../../domain/upgrade-task.js";
import {
  DEFAULT_FAULT_MAX_STALL_SECONDS,
  DEFAULT_STALL_SECONDS,
  deleteFault,
  type FaultRow,
  type FaultSpec,
  insertFault,
  listFaults,
} from "../../store/fault-queries.js";
import { findUpgradeTask } from "../../store/upgrade-task-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { requireCluster } from "../require-cluster.js";
import { ClusterParams, TaskParams, withErrors } from "../schemas/common.js";
import { Fault, FaultList, FaultParams } from "../schemas/fault.js";
import { UpgradeTaskPlan } from "../schemas/upgrade-plan.js";

const EXT = "/ext/v1/projects/:project_id/clusters/:cluster_id";

function faultDocument(row: FaultRow) {
  return {
    id: row.id,
    step: row.step,
    target: row.target,
    mode: row.mode,
    remaining: row.remaining,
    error: row.error_code,
    message: row.message,
    retryable: row.retryable === 1,
    stallSeconds: row.stall_ms / 1000,
  };
}

/**
 * A tenant's fault within the operator's cap: a longer `stallSeconds` is refused, and a stall without one lasts the
 * default or the cap, whichever is shorter. The seed's faults are the operator's own and are not capped.
 */
function cappedFault(fault: FaultSpec, maxStallSeconds: number): FaultSpec {
  if (fault.stallSeconds !== undefined && fault.stallSeconds > maxStallSeconds) {
    throw new ApiError("invalidRequest", `stallSeconds: must be at most ${maxStallSeconds} on this server`);
  }
  return { ...fault, stallSeconds: fault.stallSeconds ?? Math.min(DEFAULT_STALL_SECONDS, maxStallSeconds) };
}

/**
 * Extensions outside the CCE paths: an upgrade task's plan (steps, batches, nodes, phases and times) and fault
 * injection for the simulator. They use the same credentials as the CCE routes.
 */
export function extensionRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock, zone } = context;
  const maxStallSeconds = context.faultMaxStallSeconds ?? DEFAULT_FAULT_MAX_STALL_SECONDS;
  const time = (micros: number | null) => (micros === null ? null : formatGoTime(micros, zone));

  return async (app) => {
    app.get(
      `${EXT}/upgrade/tasks/:task_id/plan`,
      {
        schema: {
          operationId: "ShowUpgradeTaskPlan",
          tags: ["extensions"],
          summary: "The plan of an upgrade task: which step, batch and node is being upgraded.",
          params: TaskParams,
          response: withErrors({ 200: UpgradeTaskPlan }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId, task_id: taskId } = request.params;
        const task = await findUpgradeTask(store.db, projectId, clusterId, taskId);
        if (!task) throw new ApiError("resourceNotFound", `upgrade task ${taskId} not found`);
        const plan: UpgradePlan = task.plan === null ? { steps: [] } : JSON.parse(task.plan);
        return {
          taskId: task.id,
          phase: task.phase,
          progress: formatProgress(task.progress),
          pauseRequested: task.requested_control === "pause",
          failureReason: task.failure_reason,
          currentStep: task.plan === null ? null : task.step_cursor,
          steps: plan.steps.map((step) => ({
            ...step,
            startedAt: time(step.startedAt),
            finishedAt: time(step.finishedAt),
            // The targets of a running batch are being upgraded now, though each is recorded only when the batch ends.
            targets: step.targets.map((target) => ({
              ...target,
              phase: step.phase === "Running" && target.phase === "Init" ? "Running" : target.phase,
              finishedAt: time(target.finishedAt),
            })),
          })),
        };
      },
    );

    app.get(
      `${EXT}/faults`,
      {
        schema: {
          operationId: "ListFaults",
          tags: ["extensions"],
          params: ClusterParams,
          response: withErrors({ 200: FaultList }),
        },
      },
      async (request) => {
        await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        return { items: (await listFaults(store.db, request.params.cluster_id)).map(faultDocument) };
      },
    );

    app.post(
      `${EXT}/faults`,
      {
        schema: {
          operationId: "CreateFault",
          tags: ["extensions"],
          summary:
            "Inject a fault into the simulator: the next `times` matching step attempts fail (or stall). " +
            "`stallSeconds` is capped by the server (FAULT_MAX_STALL_SECONDS, default 600): more is a 400.",
          params: ClusterParams,
          body: FaultRule,
          response: withErrors({ 201: Fault }),
        },
      },
      async (request, reply) => {
        await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        const fault = cappedFault(request.body, maxStallSeconds);
        const row = await insertFault(store.db, randomUUID(), request.params.cluster_id, fault, clock.nowMicros());
        return reply.code(201).send(faultDocument(row));
      },
    );

    app.delete(
      `${EXT}/faults/:fault_id`,
      {
        schema: {
          operationId: "DeleteFault",
          tags: ["extensions"],
          params: FaultParams,
          response: withErrors({ 204: Type.Null() }),
        },
      },
      async (request, reply) => {
        await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        if (!(await deleteFault(store.db, request.params.cluster_id, request.params.fault_id))) {
          throw new ApiError("resourceNotFound", `fault ${request.params.fault_id} not found`);
        }
        return reply.code(204).send(null);
      },
    );
  };
}
