import { randomUUID } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyBaseLogger } from "fastify";
import { missingKubernetesHook } from "../../domain/driver-config.js";
import type { StepKind } from "../../domain/upgrade-plan.js";
import { findInventoryProblem, normalizeUpgradeAction } from "../../domain/upgrade-request.js";
import { checkUpgradePath, describePathProblem } from "../../domain/versions.js";
import { kubernetesProfileOf } from "../../drivers/kubernetes-inventory.js";
import { driverChoices } from "../../store/cluster-driver-queries.js";
import { type ClusterRow, listAddons, listNodePools } from "../../store/cluster-queries.js";
import { newestPrecheckFor } from "../../store/precheck-queries.js";
import type { TaskDocumentCache } from "../../store/task-document-cache.js";
import {
  ActiveUpgradeExistsError,
  BackupRunningError,
  insertUpgradeTask,
  listUpgradeTasks,
} from "../../store/upgrade-task-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { lifecycle } from "../lifecycle-refusal.js";
import { syncObservedNodes } from "../observed-nodes-sync.js";
import { requireCluster } from "../require-cluster.js";
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
export function upgradeTaskRoutes(
  context: ApiContext,
  taskDocuments: TaskDocumentCache<ReturnType<typeof upgradeTaskDocument>>,
): FastifyPluginAsyncTypebox {
  const { store, clock, zone } = context;

  /**
   * Once a cluster has a pre-check for this upgrade, the newest one must have succeeded and not expired; a cluster never
   * pre-checked for it runs the embedded pre-check instead, and `isOnlyUpgrade` skips both.
   */
  async function requireFreshPrecheck(cluster: ClusterRow, target: string): Promise<void> {
    const check = await newestPrecheckFor(store.db, cluster.id, cluster.version, target);
    if (!check) return;
    if (check.phase === "Success" && (check.expires_at ?? 0) > clock.nowMicros()) return;
    const state =
      check.phase === "Success"
        ? "expired"
        : check.phase === "Failed" || check.phase === "Error"
          ? `ended ${check.phase}`
          : "not finished";
    throw new ApiError(
      "precheckNotFresh",
      `the pre-check ${check.id} of cluster ${cluster.id} for ${target} has ${state}; run CreatePreCheck again or set isOnlyUpgrade`,
    );
  }

  /**
   * A cluster on a kubernetes profile is upgraded as its API shows it: its nodes are read now and replace the stored
   * ones, so the plan covers the nodes it has. A profile without a hook the plan needs is refused before anything
   * is written; so is a cluster whose API cannot be read.
   */
  async function syncNodesBeforeUpgrade(clusterId: string, addonCount: number, log: FastifyBaseLogger) {
    const profile = await kubernetesProfileOf(driverChoices(store), clusterId);
    if (!profile) return;
    const needed: StepKind[] = ["backup", "master", ...(addonCount > 0 ? (["addon"] as const) : [])];
    const missing = needed.map((kind) => missingKubernetesHook(profile, kind)).filter((hook) => hook !== undefined);
    if (missing.length > 0) {
      throw new ApiError(
        "invalidRequest",
        `the cluster's kubernetes driver profile has no ${missing.join(" or ")} hook, which this upgrade needs; the operator adds it to the seed file`,
      );
    }
    const sync = await syncObservedNodes(store, clusterId, clock, log);
    if (sync.kind === "unreadable") throw new ApiError("clusterStateForbids", sync.reason);
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
        const cluster = await requireCluster(store.db, projectId, clusterId);
        const action = request.body.spec.clusterUpgradeAction;
        const path = checkUpgradePath(cluster.version, action.targetVersion);
        if (!path.ok) {
          const field = "spec.clusterUpgradeAction.targetVersion";
          throw new ApiError(
            "versionNotSupported",
            describePathProblem(path.reason, cluster.version, action.targetVersion, field),
          );
        }
        await syncNodesBeforeUpgrade(clusterId, action.addons?.length ?? 0, request.log);
        const [addons, pools] = await Promise.all([
          listAddons(store.db, clusterId),
          listNodePools(store.db, clusterId),
        ]);
        const problem = findInventoryProblem(action, {
          addonNames: addons.map((a) => a.name),
          nodePoolIds: pools.map((p) => p.id),
        });
        if (problem) throw new ApiError("invalidRequest", `${problem.field}: ${problem.message}`);
        if (!action.isOnlyUpgrade) await requireFreshPrecheck(cluster, path.target.version);

        const normalized = normalizeUpgradeAction(action, path.target.version);
        const id = randomUUID();
        const now = clock.nowMicros();
        try {
          await lifecycle(() =>
            insertUpgradeTask(store.db, {
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
            }),
          );
        } catch (error) {
          if (error instanceof ActiveUpgradeExistsError) {
            throw new ApiError("clusterLocked", `cluster ${clusterId} already has an upgrade task in progress`);
          }
          if (error instanceof BackupRunningError) {
            throw new ApiError("clusterLocked", `cluster ${clusterId} is being backed up; upgrade it after`);
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
        // The hot path of every poller: from memory while the task was not changed, else one query. A missing cluster
        // and a missing task answer the same 404.
        const document = await taskDocuments.read(projectId, clusterId, taskId);
        if (!document)
          throw new ApiError("resourceNotFound", `upgrade task ${taskId} of cluster ${clusterId} not found`);
        return document;
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
        await requireCluster(store.db, projectId, clusterId);
        const tasks = await listUpgradeTasks(store.db, projectId, clusterId);
        return { kind: "List", apiVersion: "v3", metadata: {}, items: tasks.map((t) => upgradeTaskDocument(t, zone)) };
      },
    );
  };
}
