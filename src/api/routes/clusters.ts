import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { findCluster, listClusters } from "../../store/cluster-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { Cluster, ClusterList, ListClustersQuery, ShowClusterQuery } from "../schemas/cluster.js";
import { ClusterParams, ProjectParams, withErrors } from "../schemas/common.js";
import { clusterDocument } from "../wire-format.js";

/** ShowCluster and ListClusters (reference §7). */
export function clusterRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, zone } = context;
  return async (app) => {
    app.get(
      "/api/v3/projects/:project_id/clusters",
      {
        schema: {
          operationId: "ListClusters",
          params: ProjectParams,
          querystring: ListClustersQuery,
          response: withErrors({ 200: ClusterList }),
        },
      },
      async (request) => {
        const { status, type, version } = request.query;
        const rows = await listClusters(store.db, request.params.project_id, { phase: status, type, version });
        return { kind: "Cluster", apiVersion: "v3", items: rows.map((row) => clusterDocument(row, zone)) };
      },
    );

    app.get(
      "/api/v3/projects/:project_id/clusters/:cluster_id",
      {
        schema: {
          operationId: "ShowCluster",
          params: ClusterParams,
          querystring: ShowClusterQuery,
          response: withErrors({ 200: Cluster }),
        },
      },
      async (request) => {
        const row = await findCluster(store.db, request.params.project_id, request.params.cluster_id);
        if (!row) throw new ApiError("resourceNotFound", `cluster ${request.params.cluster_id} not found`);
        return clusterDocument(row, zone);
      },
    );
  };
}
