import { randomUUID } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type DisplayZone, formatGoTime } from "../../domain/go-time.js";
import {
  decideCancel,
  precheckPointStatus,
  upgradePointStatus,
  type WorkflowPoint,
  workflowLines,
  workflowPhase,
  workflowPoints,
} from "../../domain/upgrade-workflow.js";
import { checkUpgradePath, describePathProblem } from "../../domain/versions.js";
import type { Store } from "../../store/database.js";
import {
  cancelWorkflow,
  findWorkflow,
  insertWorkflow,
  listWorkflows,
  type WorkflowRow,
  type WorkflowTaskRows,
  workflowTaskRows,
} from "../../store/workflow-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { requireCluster } from "../require-cluster.js";
import { ClusterParams, withErrors } from "../schemas/common.js";
import {
  CreateUpgradeWorkFlowRequestBody,
  UpgradeWorkFlow,
  UpgradeWorkFlowList,
  UpgradeWorkFlowUpdateRequestBody,
  WorkflowParams,
} from "../schemas/upgrade-workflow.js";
import { requireStatedVersion } from "./prechecks.js";

const WORKFLOWS = "/api/v3/projects/:project_id/clusters/:cluster_id/operation/upgradeworkflows";

/**
 * CreateUpgradeWorkFlow, ListUpgradeWorkFlows, ShowUpgradeWorkFlow and UpgradeWorkFlowUpdate (reference §6). A
 * workflow stores only its versions and whether it was cancelled; its steps are the cluster's real tasks.
 */
export function upgradeWorkflowRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock, zone } = context;

  async function requireWorkflow(projectId: string, clusterId: string, workflowId: string): Promise<WorkflowRow> {
    await requireCluster(store.db, projectId, clusterId);
    const workflow = await findWorkflow(store.db, projectId, clusterId, workflowId);
    if (!workflow) throw new ApiError("resourceNotFound", `upgrade workflow ${workflowId} not found`);
    return workflow;
  }

  return async (app) => {
    app.post(
      WORKFLOWS,
      {
        schema: {
          operationId: "CreateUpgradeWorkFlow",
          params: ClusterParams,
          body: CreateUpgradeWorkFlowRequestBody,
          response: withErrors({ 201: UpgradeWorkFlow }),
        },
      },
      async (request, reply) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        const { spec } = request.body;
        requireStatedVersion(spec.clusterVersion, cluster);
        const path = checkUpgradePath(cluster.version, spec.targetVersion);
        if (!path.ok) {
          const message = describePathProblem(path.reason, cluster.version, spec.targetVersion, "spec.targetVersion");
          throw new ApiError("versionNotSupported", message);
        }
        const now = clock.nowMicros();
        const workflow: WorkflowRow = {
          id: randomUUID(),
          project_id: cluster.project_id,
          cluster_id: cluster.id,
          cluster_version: cluster.version,
          target_version: path.target.version,
          cancelled_at: null,
          created_at: now,
          updated_at: now,
        };
        await insertWorkflow(store.db, workflow);
        return reply.code(201).send(await workflowDocument(store, workflow, zone));
      },
    );

    app.get(
      WORKFLOWS,
      {
        schema: {
          operationId: "ListUpgradeWorkFlows",
          params: ClusterParams,
          response: withErrors({ 200: UpgradeWorkFlowList }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId } = request.params;
        await requireCluster(store.db, projectId, clusterId);
        const workflows = await listWorkflows(store.db, projectId, clusterId);
        const items = await Promise.all(workflows.map((workflow) => workflowDocument(store, workflow, zone)));
        return { kind: "List", apiVersion: "v3", items };
      },
    );

    app.get(
      `${WORKFLOWS}/:upgrade_workflow_id`,
      {
        schema: {
          operationId: "ShowUpgradeWorkFlow",
          params: WorkflowParams,
          response: withErrors({ 200: UpgradeWorkFlow }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId, upgrade_workflow_id: id } = request.params;
        return workflowDocument(store, await requireWorkflow(projectId, clusterId, id), zone);
      },
    );

    app.patch(
      `${WORKFLOWS}/:upgrade_workflow_id`,
      {
        schema: {
          operationId: "UpgradeWorkFlowUpdate",
          summary: "Cancel a workflow (the only change supported).",
          params: WorkflowParams,
          body: UpgradeWorkFlowUpdateRequestBody,
          response: withErrors({ 200: UpgradeWorkFlow }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId, upgrade_workflow_id: id } = request.params;
        const workflow = await requireWorkflow(projectId, clusterId, id);
        const points = pointsOf(await workflowTaskRows(store.db, workflow));
        const decision = decideCancel(workflowPhase(workflow.cancelled_at !== null, points), points);
        if (!decision.ok) throw new ApiError("clusterStateForbids", decision.reason);
        if (!(await cancelWorkflow(store.db, workflow.id, clock.nowMicros()))) {
          throw new ApiError("clusterStateForbids", "the workflow is already cancelled");
        }
        return workflowDocument(store, await requireWorkflow(projectId, clusterId, id), zone);
      },
    );
  };
}

async function workflowDocument(store: Store, workflow: WorkflowRow, zone: DisplayZone) {
  const rows = await workflowTaskRows(store.db, workflow);
  const points = pointsOf(rows);
  const time = (micros: number) => formatGoTime(micros, zone);
  const lastChange = Math.max(
    workflow.updated_at,
    ...[rows.precheck, rows.snapshot, rows.upgrade].map((row) => row?.updated_at ?? 0),
    rows.postcheck?.created_at ?? 0,
  );
  return {
    kind: "WorkFlowTask",
    apiVersion: "v3",
    metadata: { uid: workflow.id, creationTimestamp: time(workflow.created_at), updateTimestamp: time(lastChange) },
    spec: {
      clusterID: workflow.cluster_id,
      clusterVersion: workflow.cluster_version,
      targetVersion: workflow.target_version,
    },
    status: {
      phase: workflowPhase(workflow.cancelled_at !== null, points),
      pointStatuses: points.map((point) => pointStatus(point, time)),
      lineStatuses: workflowLines(points),
    },
  };
}

/** `PointStatus`: a step with no task yet is only its type and `Init`. */
function pointStatus({ taskType, task }: WorkflowPoint, time: (micros: number) => string) {
  if (!task) return { taskType, status: "Init" as const };
  return {
    taskType,
    taskID: task.taskId,
    status: task.status,
    startTimeStamp: time(task.startedAt),
    ...(task.endedAt !== null && { endTimeStamp: time(task.endedAt) }),
    ...(task.expiresAt != null && { expireTimeStamp: time(task.expiresAt) }),
  };
}

function pointsOf(rows: WorkflowTaskRows): WorkflowPoint[] {
  const { precheck, snapshot, upgrade, postcheck } = rows;
  return workflowPoints({
    preCheck: precheck && {
      taskId: precheck.id,
      status: precheckPointStatus(precheck.phase),
      startedAt: precheck.created_at,
      endedAt: precheck.completed_at,
      expiresAt: precheck.expires_at,
    },
    snapshot: snapshot && {
      taskId: snapshot.id,
      status: snapshot.phase,
      startedAt: snapshot.created_at,
      endedAt: snapshot.completed_at,
    },
    cluster: upgrade && {
      taskId: upgrade.id,
      status: upgradePointStatus(upgrade.phase),
      startedAt: upgrade.created_at,
      endedAt: upgrade.completed_at ?? (upgrade.phase === "Failed" ? upgrade.updated_at : null),
    },
    postCheck: postcheck && {
      taskId: postcheck.id,
      status: postcheck.phase,
      startedAt: postcheck.created_at,
      endedAt: postcheck.created_at,
    },
  });
}
