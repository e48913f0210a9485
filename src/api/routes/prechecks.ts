import { randomUUID } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Kysely } from "kysely";
import { type DisplayZone, formatGoTime } from "../../domain/go-time.js";
import { resolveVersion, statesVersion } from "../../domain/versions.js";
import type { ClusterRow } from "../../store/cluster-queries.js";
import {
  findPrecheckTask,
  insertPrecheckTask,
  listPrecheckTasks,
  type PrecheckTaskRow,
} from "../../store/precheck-queries.js";
import type { Database } from "../../store/schema.js";
import { newestOpenWorkflow } from "../../store/workflow-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { lifecycle } from "../lifecycle-refusal.js";
import { requireCluster } from "../require-cluster.js";
import {
  CreatePreCheckResponse,
  PrecheckClusterRequestBody,
  PrecheckTask,
  PrecheckTaskList,
} from "../schemas/checks.js";
import { ClusterParams, TaskParams, withErrors } from "../schemas/common.js";

const PRECHECK = "/api/v3/projects/:project_id/clusters/:cluster_id/operation/precheck";

/** CreatePreCheck, ShowPreCheck and ListPreCheckTasks (reference §3.1–3.3); the check runner moves the tasks. */
export function precheckRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock, zone } = context;

  return async (app) => {
    app.post(
      PRECHECK,
      {
        schema: {
          operationId: "CreatePreCheck",
          params: ClusterParams,
          body: PrecheckClusterRequestBody,
          response: withErrors({ 200: CreatePreCheckResponse }),
        },
      },
      async (request) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        const { spec } = request.body;
        requireStatedVersion(spec.clusterVersion, cluster);
        const target = await resolveCheckTarget(store.db, cluster, spec.targetVersion);
        const now = clock.nowMicros();
        const row: PrecheckTaskRow = {
          id: randomUUID(),
          project_id: cluster.project_id,
          cluster_id: cluster.id,
          phase: "Init",
          cluster_version: cluster.version,
          target_version: target,
          skipped_items: JSON.stringify(spec.skippedCheckItemList ?? []),
          result: null,
          message: null,
          fence: 0,
          due_at: now,
          created_at: now,
          updated_at: now,
          completed_at: null,
          expires_at: null,
        };
        await lifecycle(() => insertPrecheckTask(store.db, row));
        const { apiVersion, kind, spec: echo, status } = precheckDocument(row, zone);
        return { apiVersion, kind, metadata: { uid: row.id }, spec: echo, status };
      },
    );

    app.get(
      `${PRECHECK}/tasks/:task_id`,
      { schema: { operationId: "ShowPreCheck", params: TaskParams, response: withErrors({ 200: PrecheckTask }) } },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId, task_id: taskId } = request.params;
        await requireCluster(store.db, projectId, clusterId);
        const task = await findPrecheckTask(store.db, projectId, clusterId, taskId);
        if (!task) throw new ApiError("resourceNotFound", `pre-check task ${taskId} not found`);
        return precheckDocument(task, zone);
      },
    );

    app.get(
      `${PRECHECK}/tasks`,
      {
        schema: {
          operationId: "ListPreCheckTasks",
          params: ClusterParams,
          response: withErrors({ 200: PrecheckTaskList }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId } = request.params;
        await requireCluster(store.db, projectId, clusterId);
        const tasks = await listPrecheckTasks(store.db, projectId, clusterId);
        return {
          apiVersion: "v3",
          kind: "List",
          metadata: {},
          items: tasks.map((task) => precheckDocument(task, zone)),
        };
      },
    );
  };
}

/** A stated `spec.clusterVersion` must name the version the cluster runs (empty or absent states nothing). */
export function requireStatedVersion(stated: string | undefined, cluster: ClusterRow): void {
  if (stated !== undefined && !statesVersion(stated, cluster.version)) {
    throw new ApiError(
      "invalidRequest",
      `spec.clusterVersion: ${JSON.stringify(stated)} is not the cluster's version ${cluster.version}`,
    );
  }
}

/**
 * The full target version a check is for: the request's `spec.targetVersion` (`v1.29` = newest patch) or else the
 * target of the cluster's newest open workflow.
 */
export async function resolveCheckTarget(
  db: Kysely<Database>,
  cluster: ClusterRow,
  stated: string | undefined,
): Promise<string> {
  const text = stated || (await newestOpenWorkflow(db, cluster.id))?.target_version;
  if (!text) {
    throw new ApiError(
      "invalidRequest",
      "spec.targetVersion is required: the cluster has no upgrade workflow to take it from",
    );
  }
  const known = resolveVersion(text);
  if (!known)
    throw new ApiError(
      "versionNotSupported",
      `spec.targetVersion: ${JSON.stringify(text)} is not a supported CCE version`,
    );
  return known.version;
}

/** ShowPreCheck's body. Until the check ends its groups carry the task's phase and no items. */
function precheckDocument(task: PrecheckTaskRow, zone: DisplayZone) {
  const skipped = JSON.parse(task.skipped_items) as unknown[];
  const groups = task.result === null ? pendingGroups(task.phase) : JSON.parse(task.result);
  return {
    apiVersion: "v3",
    kind: "PreCheckTask",
    metadata: {
      uid: task.id,
      creationTimestamp: formatGoTime(task.created_at, zone),
      updateTimestamp: formatGoTime(task.updated_at, zone),
    },
    spec: {
      clusterID: task.cluster_id,
      clusterVersion: task.cluster_version,
      targetVersion: task.target_version,
      ...(skipped.length > 0 && { skippedCheckItemList: skipped }),
    },
    status: {
      phase: task.phase,
      ...(task.expires_at !== null && { expireTimeStamp: formatGoTime(task.expires_at, zone) }),
      ...(task.message !== null && { message: task.message }),
      ...groups,
    },
  };
}

function pendingGroups(phase: PrecheckTaskRow["phase"]) {
  const groupPhase = phase === "Init" ? "Init" : "Running";
  return {
    clusterCheckStatus: { phase: groupPhase, itemsStatus: [] },
    addonCheckStatus: { phase: groupPhase, itemsStatus: [] },
    nodeCheckStatus: { phase: groupPhase, nodeStageStatus: [] },
  };
}
