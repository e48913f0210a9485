import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Static } from "typebox";
import { clusterShapeProblem } from "../../domain/cluster-lifecycle.js";
import { newestVersion, resolveVersion } from "../../domain/versions.js";
import { createCluster, startClusterDeletion, updateCluster } from "../../store/cluster-lifecycle-queries.js";
import { findCluster, listClusters } from "../../store/cluster-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { lifecycle, requireStorableSpec } from "../lifecycle-refusal.js";
import { requireCluster } from "../require-cluster.js";
import {
  Cluster,
  ClusterList,
  CreateClusterBody,
  DeleteClusterQuery,
  ListClustersQuery,
  ShowClusterQuery,
  UpdateClusterBody,
} from "../schemas/cluster.js";
import { ClusterParams, ProjectParams, withErrors } from "../schemas/common.js";
import { type ClusterCreationSpec, clusterCreationSpec, clusterDocument } from "../wire-format.js";

/** CreateCluster, ShowCluster, ListClusters, UpdateCluster and DeleteCluster (reference §7). */
export function clusterRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, zone, clock } = context;
  const document = async (projectId: string, clusterId: string) => {
    const row = await findCluster(store.db, projectId, clusterId);
    if (!row) throw new ApiError("resourceNotFound", `cluster ${clusterId} not found`);
    return clusterDocument(row, zone);
  };
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

    app.post(
      "/api/v3/projects/:project_id/clusters",
      {
        schema: {
          operationId: "CreateCluster",
          summary: "Create a cluster: `Creating` until its `CreateCluster` job ends, then `Available`.",
          params: ProjectParams,
          body: CreateClusterBody,
          response: withErrors({ 201: Cluster, 409: { $ref: "ErrorResponse" } }),
        },
      },
      async (request, reply) => {
        const { project_id: projectId } = request.params;
        const { metadata, spec } = request.body;
        // An empty version, as an empty field from Go, means the newest, as no version does.
        const known = resolveVersion(spec.version || newestVersion());
        if (!known) throw new ApiError("versionNotSupported", `version ${spec.version} is not a CCE version`);
        const creation = creationSpec(request.body);
        requireStorableSpec(creation, "the cluster's spec");
        const problem = clusterShapeProblem({
          category: spec.category ?? "CCE",
          flavor: spec.flavor,
          networkMode: creation.containerNetwork.mode,
          containerCidrs: creation.containerNetwork.cidrs?.map((block) => block.cidr) ?? [
            creation.containerNetwork.cidr,
          ],
          serviceCidr: creation.kubernetesSvcIpRange,
        });
        if (problem)
          throw new ApiError(
            problem.kind === "cidrConflict" ? "containerCidrConflict" : "invalidRequest",
            problem.message,
          );
        const id = await lifecycle(() =>
          createCluster(
            store,
            {
              projectId,
              name: metadata.name,
              version: known.version,
              platformVersion: known.platformVersion,
              flavor: spec.flavor,
              type: spec.type ?? "VirtualMachine",
              category: spec.category ?? "CCE",
              description: spec.description ?? "",
              spec: { ...creation },
            },
            clock.nowMicros(),
          ),
        );
        reply.code(201);
        return document(projectId, id);
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
      (request) => document(request.params.project_id, request.params.cluster_id),
    );

    app.put(
      "/api/v3/projects/:project_id/clusters/:cluster_id",
      {
        schema: {
          operationId: "UpdateCluster",
          summary: "Change a cluster's description, alias or custom SANs.",
          params: ClusterParams,
          body: UpdateClusterBody,
          response: withErrors({ 200: Cluster }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId } = request.params;
        const cluster = await requireCluster(store.db, projectId, clusterId);
        if (!UPDATABLE_PHASES.includes(cluster.phase)) {
          throw new ApiError(
            "clusterStateForbids",
            `cluster ${clusterId} is ${cluster.phase}; it is changed only when Available`,
          );
        }
        const { metadata, spec } = request.body;
        const current = clusterCreationSpec(cluster);
        const alias = metadata?.alias || undefined;
        const changed = {
          ...current,
          ...(alias !== undefined && { alias }),
          ...(spec.customSan !== undefined && { customSan: spec.customSan }),
        };
        requireStorableSpec(changed, "the cluster's spec");
        await updateCluster(store, cluster, { description: spec.description, spec: changed }, clock.nowMicros());
        return document(projectId, clusterId);
      },
    );

    app.delete(
      "/api/v3/projects/:project_id/clusters/:cluster_id",
      {
        schema: {
          operationId: "DeleteCluster",
          summary: "Delete a cluster: `Deleting` until its `DeleteCluster` job ends, then gone (404).",
          params: ClusterParams,
          querystring: DeleteClusterQuery,
          response: withErrors({ 200: Cluster, 409: { $ref: "ErrorResponse" } }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId } = request.params;
        const cluster = await requireCluster(store.db, projectId, clusterId);
        // A yearly/monthly cluster's flags are kept for when its subscription ends: the emulator has none, so nothing.
        if (request.query.tobedeleted === "true") return clusterDocument(cluster, zone);
        await lifecycle(() => startClusterDeletion(store, cluster, clock.nowMicros()));
        return document(projectId, clusterId);
      },
    );
  };
}

/** UpdateCluster is allowed in these phases (CCE's rule for `description`). */
const UPDATABLE_PHASES = ["Available", "ScalingUp", "ScalingDown"];

/** The fields of a CreateCluster body kept in `clusters.spec`, with CCE's defaults filled in. */
function creationSpec(body: Static<typeof CreateClusterBody>): ClusterCreationSpec {
  const { metadata, spec } = body;
  const cidrs = spec.containerNetwork.cidrs;
  return {
    ...(metadata.alias && { alias: metadata.alias }),
    ...(metadata.annotations !== undefined && { annotations: metadata.annotations }),
    ...(spec.customSan !== undefined && { customSan: spec.customSan }),
    ...(spec.ipv6enable !== undefined && { ipv6enable: spec.ipv6enable }),
    hostNetwork: spec.hostNetwork,
    containerNetwork: {
      mode: spec.containerNetwork.mode,
      cidr: cidrs?.[0]?.cidr ?? spec.containerNetwork.cidr ?? "172.16.0.0/16",
      ...(cidrs !== undefined && { cidrs }),
    },
    ...(spec.eniNetwork !== undefined && { eniNetwork: spec.eniNetwork }),
    authentication: spec.authentication ?? { mode: "rbac" },
    billingMode: spec.billingMode ?? 0,
    ...(spec.masters !== undefined && { masters: spec.masters }),
    kubernetesSvcIpRange: spec.kubernetesSvcIpRange || "10.247.0.0/16",
    kubeProxyMode: spec.kubeProxyMode ?? "iptables",
    az: spec.az ?? spec.masters?.[0]?.availabilityZone ?? "multi_az",
    ...(spec.supportIstio !== undefined && { supportIstio: spec.supportIstio }),
    ...(spec.extendParam !== undefined && { extendParam: spec.extendParam }),
  };
}
