import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type DisplayZone, formatGoTime } from "../../domain/go-time.js";
import { formatProgress, upgradeInfoPhase } from "../../domain/upgrade-task.js";
import { catalogueUpgradePaths, upgradeTargets, versionInfo } from "../../domain/versions.js";
import { listUpgradeTasks, type TaskDocumentRow } from "../../store/upgrade-task-queries.js";
import type { ApiContext } from "../context.js";
import { requireCluster } from "../require-cluster.js";
import { ClusterParams, withErrors } from "../schemas/common.js";
import { type FEATURE_GATE_VALUES, UpgradeFeatureGates, UpgradeInfo, UpgradePaths } from "../schemas/upgrade-info.js";

/** What this service offers the console's upgrade pages. */
const FEATURE_GATES: Record<string, (typeof FEATURE_GATE_VALUES)[number]> = {
  DisplayPreCheckDetail: "Support",
  EvsSnapshot: "Support",
  LabelForSkippedNode: "Disable",
  UpgradeStrategy: "Support",
};

/**
 * ShowClusterUpgradeInfo, ListClusterUpgradePaths and ListClusterUpgradeFeatureGates (reference §5). The last two have
 * no project in the path: they need a credential but no project check.
 */
export function upgradeInfoRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, zone } = context;

  return async (app) => {
    app.get(
      "/api/v3/projects/:project_id/clusters/:cluster_id/upgradeinfo",
      {
        schema: {
          operationId: "ShowClusterUpgradeInfo",
          params: ClusterParams,
          response: withErrors({ 200: UpgradeInfo }),
        },
      },
      async (request) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        const tasks = await listUpgradeTasks(store.db, cluster.project_id, cluster.id);
        const lastEnded = tasks.find((task) => task.phase === "Success" || task.phase === "Failed");
        return {
          kind: "UpgradeInfo",
          apiVersion: "v3",
          metadata: {
            uid: cluster.id,
            name: cluster.name,
            labels: {},
            annotations: {},
            creationTimestamp: formatGoTime(cluster.created_at, zone),
            updateTimestamp: formatGoTime(cluster.updated_at, zone),
          },
          spec: {
            lastUpgradeInfo: upgradeInfoStatus(lastEnded, zone),
            versionInfo: { ...versionInfo(cluster.version), targetVersions: upgradeTargets(cluster.version) },
            upgradeFeatureGates: { supportUpgradePageV4: true },
          },
          status: upgradeInfoStatus(tasks[0], zone),
        };
      },
    );

    app.get(
      "/api/v3/clusterupgradepaths",
      { schema: { operationId: "ListClusterUpgradePaths", response: withErrors({ 200: UpgradePaths }) } },
      async () => ({
        apiVersion: "v3",
        kind: "ClusterUpgradePaths",
        metadata: {},
        upgradePaths: catalogueUpgradePaths(),
      }),
    );

    app.get(
      "/api/v3/clusterupgradefeaturegates",
      { schema: { operationId: "ListClusterUpgradeFeatureGates", response: withErrors({ 200: UpgradeFeatureGates }) } },
      async () => ({
        apiVersion: "v3",
        kind: "ClusterUpgradeFeatureGates",
        metadata: {},
        upgradeFeatureGates: FEATURE_GATES,
      }),
    );
  };
}

/** An upgrade task as `UpgradeInfoStatus`; empty when there is none. */
function upgradeInfoStatus(task: TaskDocumentRow | undefined, zone: DisplayZone) {
  if (!task) return {};
  return {
    phase: upgradeInfoPhase(task.phase),
    progress: formatProgress(task.progress),
    completionTime: formatGoTime(task.completed_at ?? task.updated_at, zone),
  };
}
