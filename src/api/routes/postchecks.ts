import { randomUUID } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { evaluatePostcheck } from "../../domain/upgrade-checks.js";
import { listNodes } from "../../store/cluster-queries.js";
import { insertPostcheckTask } from "../../store/postcheck-queries.js";
import { hasActiveUpgrade, newestUpgradeTask } from "../../store/upgrade-task-queries.js";
import type { ApiContext } from "../context.js";
import { requireCluster } from "../require-cluster.js";
import { PostcheckClusterRequestBody, PostcheckResponse } from "../schemas/checks.js";
import { ClusterParams, withErrors } from "../schemas/common.js";
import { resolveCheckTarget } from "./prechecks.js";

/**
 * CreatePostCheck (reference §3.4): answered at once, `Success` when the cluster runs the target version and it and
 * its nodes are healthy, else `Failed` with the reasons in `status.message`. Kept for the workflow's last step.
 */
export function postcheckRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock } = context;

  return async (app) => {
    app.post(
      "/api/v3/projects/:project_id/clusters/:cluster_id/operation/postcheck",
      {
        schema: {
          operationId: "CreatePostCheck",
          params: ClusterParams,
          body: PostcheckClusterRequestBody,
          response: withErrors({ 200: PostcheckResponse }),
        },
      },
      async (request) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        const { spec } = request.body;
        const lastUpgrade = await newestUpgradeTask(store.db, cluster.id);
        const target = await resolveCheckTarget(store.db, cluster, spec.targetVersion || lastUpgrade?.target_version);
        const [nodes, active] = await Promise.all([
          listNodes(store.db, cluster.id),
          hasActiveUpgrade(store.db, cluster.id),
        ]);
        const outcome = evaluatePostcheck({
          cluster: { version: cluster.version, phase: cluster.phase, hasActiveUpgrade: active },
          targetVersion: target,
          nodes,
        });
        const fromVersion =
          spec.clusterVersion ||
          (lastUpgrade?.target_version === target ? lastUpgrade.from_version : undefined) ||
          cluster.version;
        const id = randomUUID();
        await insertPostcheckTask(store.db, {
          id,
          project_id: cluster.project_id,
          cluster_id: cluster.id,
          cluster_version: fromVersion,
          target_version: target,
          phase: outcome.phase,
          message: outcome.message,
          created_at: clock.nowMicros(),
        });
        return {
          apiVersion: "v3",
          kind: "PostCheckTask",
          metadata: { uid: id },
          spec: { clusterID: cluster.id, clusterVersion: fromVersion, targetVersion: target },
          status: { phase: outcome.phase, ...(outcome.message !== null && { message: outcome.message }) },
        };
      },
    );
  };
}
