import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { findNode, findNodePool, startNodeDeletion } from "../../store/cluster-lifecycle-queries.js";
import { listNodePools, listNodes } from "../../store/cluster-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { lifecycle } from "../lifecycle-refusal.js";
import { nodeDocument, nodeSpec } from "../node-documents.js";
import { syncObservedNodes } from "../observed-nodes-sync.js";
import { requireCluster } from "../require-cluster.js";
import { ClusterParams, withErrors } from "../schemas/common.js";
import { DeleteNodeQuery, Node, NodeList, NodeParams } from "../schemas/node-pool.js";

const NODES = "/api/v3/projects/:project_id/clusters/:cluster_id/nodes";

/** ListNodes, ShowNode and DeleteNode. */
export function nodeRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, zone, clock } = context;
  const document = async (clusterId: string, nodeId: string) => {
    const node = await findNode(store.db, clusterId, nodeId);
    const pool = node && (await findNodePool(store.db, clusterId, node.pool_id));
    if (!node || !pool) throw new ApiError("resourceNotFound", `node ${nodeId} not found`);
    return nodeDocument(node, pool, nodeSpec(pool), zone);
  };
  return async (app) => {
    app.get(
      NODES,
      { schema: { operationId: "ListNodes", params: ClusterParams, response: withErrors({ 200: NodeList }) } },
      async (request) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        // A cluster on a kubernetes profile lists what its API reports; the last nodes read when it cannot be reached.
        await syncObservedNodes(store, cluster.id, clock, request.log);
        const [pools, nodes] = await Promise.all([
          listNodePools(store.db, cluster.id),
          listNodes(store.db, cluster.id),
        ]);
        // Each pool's spec once, not once per node.
        const poolsById = new Map(pools.map((pool) => [pool.id, { pool, spec: nodeSpec(pool) }]));
        const items = nodes.flatMap((node) => {
          const owner = poolsById.get(node.pool_id);
          return owner ? [nodeDocument(node, owner.pool, owner.spec, zone)] : [];
        });
        return { kind: "List", apiVersion: "v3", items };
      },
    );

    app.get(
      `${NODES}/:node_id`,
      { schema: { operationId: "ShowNode", params: NodeParams, response: withErrors({ 200: Node }) } },
      async (request) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        return document(cluster.id, request.params.node_id);
      },
    );

    app.delete(
      `${NODES}/:node_id`,
      {
        schema: {
          operationId: "DeleteNode",
          summary: "Delete a node: `Deleting` until its job ends; its pool then counts one node less.",
          params: NodeParams,
          querystring: DeleteNodeQuery,
          response: withErrors({ 200: Node, 409: { $ref: "ErrorResponse" } }),
        },
      },
      async (request) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        const nodeId = request.params.node_id;
        if (!(await findNode(store.db, cluster.id, nodeId)))
          throw new ApiError("resourceNotFound", `node ${nodeId} not found`);
        const scaleDown = request.query.nodepoolScaleDown !== "NoScaleDown";
        await lifecycle(() => startNodeDeletion(store, cluster.id, nodeId, scaleDown, clock.nowMicros()));
        return document(cluster.id, nodeId);
      },
    );
  };
}
