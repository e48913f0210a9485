import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Static } from "typebox";
import {
  createNodePool,
  findNodePool,
  scaleNodePool,
  startNodePoolDeletion,
} from "../../store/cluster-lifecycle-queries.js";
import { listNodePools, listNodes } from "../../store/cluster-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { lifecycle, requireStorableSpec } from "../lifecycle-refusal.js";
import { type NodePoolCreationSpec, nodePoolDocument, poolSpec } from "../node-documents.js";
import { requireCluster } from "../require-cluster.js";
import { ClusterParams, withErrors } from "../schemas/common.js";
import {
  CreateNodePoolBody,
  ListNodePoolsQuery,
  NodePool,
  NodePoolList,
  NodePoolParams,
  UpdateNodePoolBody,
} from "../schemas/node-pool.js";

const POOLS = "/api/v3/projects/:project_id/clusters/:cluster_id/nodepools";
const DEFAULT_POOL = "DefaultPool";
/** The Kubernetes label CCE puts on every node of a pool, naming it. */
const POOL_TAG = "cce.cloud.com/cce-nodepool";

/** CreateNodePool, ListNodePools, ShowNodePool, UpdateNodePool (scaling) and DeleteNodePool. */
export function nodePoolRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, zone, clock } = context;
  const document = async (clusterId: string, poolId: string) => {
    const [pool, nodes] = await Promise.all([
      findNodePool(store.db, clusterId, poolId),
      listNodes(store.db, clusterId),
    ]);
    if (!pool) throw new ApiError("resourceNotFound", `node pool ${poolId} not found`);
    return nodePoolDocument(pool, nodes, zone);
  };
  const requirePool = async (params: Static<typeof NodePoolParams>) => {
    const cluster = await requireCluster(store.db, params.project_id, params.cluster_id);
    const pool = await findNodePool(store.db, cluster.id, params.nodepool_id);
    if (!pool) throw new ApiError("resourceNotFound", `node pool ${params.nodepool_id} not found`);
    return { cluster, pool };
  };
  return async (app) => {
    app.post(
      POOLS,
      {
        schema: {
          operationId: "CreateNodePool",
          summary: "Create a node pool: its nodes are `Installing` at the cluster's version until its job ends.",
          params: ClusterParams,
          body: CreateNodePoolBody,
          response: withErrors({ 201: NodePool, 409: { $ref: "ErrorResponse" } }),
        },
      },
      async (request, reply) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        const { metadata, spec } = request.body;
        const login = loginProblem(spec.nodeTemplate.login);
        if (login) throw new ApiError("invalidRequest", login);
        const nodeCount = spec.initialNodeCount ?? 0;
        const { userPassword, ...keyPair } = spec.nodeTemplate.login;
        const kept: NodePoolCreationSpec = {
          type: spec.type ?? "vm",
          nodeTemplate: {
            ...spec.nodeTemplate,
            // The password is not kept: CCE never shows it again either.
            login: { ...keyPair, ...(userPassword && { userPassword: { username: userPassword.username ?? "root" } }) },
            k8sTags: { ...spec.nodeTemplate.k8sTags, [POOL_TAG]: metadata.name },
          },
          initialNodeCount: nodeCount,
          ...(spec.autoscaling !== undefined && { autoscaling: spec.autoscaling }),
          ...(spec.nodeManagement !== undefined && { nodeManagement: spec.nodeManagement }),
          ...(spec.podSecurityGroups !== undefined && { podSecurityGroups: spec.podSecurityGroups }),
          ...(spec.customSecurityGroups !== undefined && { customSecurityGroups: spec.customSecurityGroups }),
        };
        requireStorableSpec(kept, "the node pool's spec");
        const poolId = await lifecycle(() =>
          createNodePool(store, cluster.id, { name: metadata.name, nodeCount, spec: { ...kept } }, clock.nowMicros()),
        );
        reply.code(201);
        return document(cluster.id, poolId);
      },
    );

    app.get(
      POOLS,
      {
        schema: {
          operationId: "ListNodePools",
          params: ClusterParams,
          querystring: ListNodePoolsQuery,
          response: withErrors({ 200: NodePoolList }),
        },
      },
      async (request) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        const [pools, nodes] = await Promise.all([
          listNodePools(store.db, cluster.id),
          listNodes(store.db, cluster.id),
        ]);
        const shown = request.query.showDefaultNodePool === "true" ? pools : pools.filter((p) => p.id !== DEFAULT_POOL);
        return { kind: "List", apiVersion: "v3", items: shown.map((pool) => nodePoolDocument(pool, nodes, zone)) };
      },
    );

    app.get(
      `${POOLS}/:nodepool_id`,
      { schema: { operationId: "ShowNodePool", params: NodePoolParams, response: withErrors({ 200: NodePool }) } },
      async (request) => {
        const { cluster, pool } = await requirePool(request.params);
        return document(cluster.id, pool.id);
      },
    );

    app.put(
      `${POOLS}/:nodepool_id`,
      {
        schema: {
          operationId: "UpdateNodePool",
          summary: "Rename a node pool or scale it to `spec.initialNodeCount`; refused while the cluster is upgraded.",
          params: NodePoolParams,
          body: UpdateNodePoolBody,
          response: withErrors({ 200: NodePool, 409: { $ref: "ErrorResponse" } }),
        },
      },
      async (request) => {
        const { cluster, pool } = await requirePool(request.params);
        const { metadata, spec } = request.body;
        const nodes = await listNodes(store.db, cluster.id);
        const current = poolSpec(pool, nodes);
        const changed: NodePoolCreationSpec = {
          ...current,
          initialNodeCount: spec.initialNodeCount,
          ...(spec.autoscaling !== undefined && { autoscaling: spec.autoscaling }),
          nodeTemplate: {
            ...current.nodeTemplate,
            ...spec.nodeTemplate,
            k8sTags: {
              ...(spec.nodeTemplate?.k8sTags ?? (current.nodeTemplate.k8sTags as object)),
              [POOL_TAG]: metadata.name,
            },
          },
        };
        requireStorableSpec(changed, "the node pool's spec");
        await lifecycle(() =>
          scaleNodePool(
            store,
            cluster.id,
            pool.id,
            { name: metadata.name, nodeCount: spec.initialNodeCount, spec: { ...changed } },
            clock.nowMicros(),
          ),
        );
        return document(cluster.id, pool.id);
      },
    );

    app.delete(
      `${POOLS}/:nodepool_id`,
      {
        schema: {
          operationId: "DeleteNodePool",
          summary: "Delete a node pool and its nodes: `Deleting` until its job ends.",
          params: NodePoolParams,
          response: withErrors({ 200: NodePool, 409: { $ref: "ErrorResponse" } }),
        },
      },
      async (request) => {
        const { cluster, pool } = await requirePool(request.params);
        await lifecycle(() => startNodePoolDeletion(store, cluster.id, pool.id, clock.nowMicros()));
        return document(cluster.id, pool.id);
      },
    );
  };
}

/** CCE takes exactly one way to log in to a node: a key pair or a password. */
function loginProblem(login: { sshKey?: string; userPassword?: object }): string | undefined {
  if ((login.sshKey === undefined) === (login.userPassword === undefined)) {
    return "spec.nodeTemplate.login must have exactly one of sshKey and userPassword";
  }
  return undefined;
}
