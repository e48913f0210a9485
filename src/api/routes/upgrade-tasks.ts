import { randomUUID } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { findInventoryProblem, normalizeUpgradeAction } from "../../domain/upgrade-request.js";
import { checkUpgradePath, type UpgradePathCheck } from "../../domain/versions.js";
import { type ClusterRow, findCluster, listAddons, listNodePools } from "../../store/cluster-queries.js";
import {
  ActiveUpgradeExistsError,
  findUpgradeTask,
  insertUpgradeTask,
  listUpgradeTasks,
} from "../../store/upgrade-task-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { ClusterParams, TaskParams, withErrors } from "../schemas/common.js";
import {
  UpgradeClusterRequestBody,
  UpgradeClusterResponse,
  UpgradeTask,
  UpgradeTaskList,
} from "../schemas/upgrade-task.js";
import { upgradeTaskDocument } from "../wire-format.js";

const TASKS = "/api/v3/projects/:project_id/clusters/:cluster_id/operation/upgrade/tasks";

/** UpgradeCluster, ShowUpgradeClusterTask and ListUpgradeClusterTasks (reference §2.1–2.3). */
export function upgradeTaskRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock, zone } = context;

  async function requireCluster(projectId: string, clusterId: string): Promise<ClusterRow> {
    const cluster = await findCluster(store.db, projectId, clusterId);
    if (!cluster) throw new ApiError("resourceNotFound", `cluster ${clusterId} not found`);
    return cluster;
  }

  return async (app) => {
    app.post(
      "/api/v3/projects/:project_id/clusters/:cluster_id/operation/upgrade",
      {
        schema: {
          operationId: "UpgradeCluster",
          params: ClusterParams,
          body: UpgradeClusterRequestBody,
          response: withErrors({ 200: UpgradeClusterResponse }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId } = request.params;
        const cluster = await requireCluster(projectId, clusterId);
        const action = request.body.spec.clusterUpgradeAction;
        const path = checkUpgradePath(cluster.version, action.targetVersion);
        if (!path.ok)
          throw new ApiError("versionNotSupported", describePathProblem(path, cluster, action.targetVersion));
        const [addons, pools] = await Promise.all([
          listAddons(store.db, clusterId),
          listNodePools(store.db, clusterId),
        ]);
        const problem = findInventoryProblem(action, {
          addonNames: addons.map((a) => a.name),
          nodePoolIds: pools.map((p) => p.id),
        });
        if (problem) throw new ApiError("invalidRequest", `${problem.field}: ${problem.message}`);

        const normalized = normalizeUpgradeAction(action, path.target.version);
        const id = randomUUID();
        const now = clock.nowMicros();
        try {
          await insertUpgradeTask(store.db, {
            id,
            project_id: projectId,
            cluster_id: clusterId,
            phase: "Init",
            from_version: cluster.version,
            target_version: path.target.version,
            target_platform_version: path.target.platformVersion,
            request: JSON.stringify(normalized),
            plan: null,
            failure_reason: null,
            requested_control: null,
            lease_owner: null,
            lease_expires_at: null,
            created_at: now,
            updated_at: now,
            completed_at: null,
          });
        } catch (error) {
          if (error instanceof ActiveUpgradeExistsError) {
            throw new ApiError("clusterLocked", `cluster ${clusterId} already has an upgrade task in progress`);
          }
          throw error;
        }
        return {
          uid: id,
          metadata: { uid: id },
          spec: {
            clusterUpgradeAction: {
              version: cluster.version,
              targetVersion: path.target.version,
              targetPlatformVersion: path.target.platformVersion,
              strategy: normalized.strategy,
            },
          },
        };
      },
    );

    app.get(
      `${TASKS}/:task_id`,
      {
        schema: {
          operationId: "ShowUpgradeClusterTask",
          params: TaskParams,
          response: withErrors({ 200: UpgradeTask }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId, task_id: taskId } = request.params;
        await requireCluster(projectId, clusterId);
        const task = await findUpgradeTask(store.db, projectId, clusterId, taskId);
        if (!task) throw new ApiError("resourceNotFound", `upgrade task ${taskId} not found`);
        return upgradeTaskDocument(task, zone);
      },
    );

    app.get(
      TASKS,
      {
        schema: {
          operationId: "ListUpgradeClusterTasks",
          params: ClusterParams,
          response: withErrors({ 200: UpgradeTaskList }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId } = request.params;
        await requireCluster(projectId, clusterId);
        const tasks = await listUpgradeTasks(store.db, projectId, clusterId);
        return { kind: "List", apiVersion: "v3", metadata: {}, items: tasks.map((t) => upgradeTaskDocument(t, zone)) };
      },
    );
  };
}

function describePathProblem(
  path: Extract<UpgradePathCheck, { ok: false }>,
  cluster: ClusterRow,
  target: string,
): string {
  const field = "spec.clusterUpgradeAction.targetVersion";
  switch (path.reason) {
    case "unknown_target":
      return `${field}: ${JSON.stringify(target)} is not a supported CCE version`;
    case "not_higher":
      return `${field}: ${target} is not higher than the cluster's version ${cluster.version}`;
    case "no_path":
      return `${field}: there is no upgrade path from ${cluster.version} to ${target}`;
    case "unknown_current":
      return `the cluster's version ${cluster.version} is not in the version catalogue`;
  }
}
