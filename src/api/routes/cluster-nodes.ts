import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { listNodePools, listNodes } from "../../store/cluster-queries.js";
import type { ApiContext } from "../context.js";
import { syncObservedNodes } from "../observed-nodes-sync.js";
import { requireCluster } from "../require-cluster.js";
import { ClusterNodes } from "../schemas/cluster-nodes.js";
import { ClusterParams, withErrors } from "../schemas/common.js";

/** Extension: a cluster's node pools and nodes (CCE serves these from other APIs, outside the upgrade family). */
export function clusterNodeRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock } = context;
  return async (app) => {
    app.get(
      "/ext/v1/projects/:project_id/clusters/:cluster_id/nodes",
      {
        schema: {
          operationId: "ListClusterNodes",
          tags: ["extensions"],
          summary: "The node pools and nodes of a cluster, with each node's version and status.",
          params: ClusterParams,
          response: withErrors({ 200: ClusterNodes }),
        },
      },
      async (request) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        // A cluster on a kubernetes profile lists what its API reports; the last nodes read when it cannot be reached.
        await syncObservedNodes(store, cluster.id, clock, request.log);
        const [pools, nodes] = await Promise.all([
          listNodePools(store.db, cluster.id),
          listNodes(store.db, cluster.id),
        ]);
        return {
          pools: pools.map((pool) => ({
            id: pool.id,
            name: pool.name,
            nodeCount: nodes.filter((node) => node.pool_id === pool.id).length,
          })),
          items: nodes.map((node) => ({
            id: node.id,
            name: node.name,
            pool: node.pool_id,
            version: node.version,
            status: node.status,
          })),
        };
      },
    );
  };
}
