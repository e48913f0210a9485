import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import {
  type DriverConfig,
  DriverConfigSchema,
  driverConfigProblem,
  publicDriverConfig,
} from "../../domain/driver-config.js";
import { findClusterDriver, replaceDriverUnlessUpgrading } from "../../store/cluster-driver-queries.js";
import { findCluster } from "../../store/cluster-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { ClusterParams, FreeObject, withErrors } from "../schemas/common.js";

const DRIVER_PATH = "/ext/v1/projects/:project_id/clusters/:cluster_id/driver";

/**
 * A cluster's driver: the simulator or the hooks that upgrade a real cluster. The webhook secret is write-only:
 * GET says only whether one is set, and a PUT without one keeps the stored one.
 */
export function clusterDriverRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock } = context;

  async function currentDriver(projectId: string, clusterId: string): Promise<DriverConfig> {
    const found = (await findCluster(store.db, projectId, clusterId)) && (await findClusterDriver(store.db, clusterId));
    if (!found) throw new ApiError("resourceNotFound", `cluster ${clusterId} not found`);
    return found.config;
  }

  return async (app) => {
    app.get(
      DRIVER_PATH,
      {
        schema: {
          operationId: "ShowClusterDriver",
          tags: ["extensions"],
          summary: "What runs the cluster's upgrade steps; the webhook secret is never shown.",
          params: ClusterParams,
          response: withErrors({ 200: FreeObject }),
        },
      },
      async (request) => publicDriverConfig(await currentDriver(request.params.project_id, request.params.cluster_id)),
    );

    app.put(
      DRIVER_PATH,
      {
        schema: {
          operationId: "UpdateClusterDriver",
          tags: ["extensions"],
          summary: "Run the cluster's upgrade steps on the simulator or through hooks; refused during an upgrade.",
          params: ClusterParams,
          body: DriverConfigSchema,
          response: withErrors({ 200: FreeObject, 409: Type.Ref("ErrorResponse") }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId } = request.params;
        const config = keepStoredSecret(request.body, await currentDriver(projectId, clusterId));
        const problem = driverConfigProblem(config);
        if (problem) throw new ApiError("invalidRequest", `driver ${problem}`);
        if (!(await replaceDriverUnlessUpgrading(store.db, clusterId, config, clock.nowMicros()))) {
          throw new ApiError(
            "clusterUpgrading",
            `cluster ${clusterId} has an active upgrade task; change its driver after it ends`,
          );
        }
        return publicDriverConfig(config);
      },
    );
  };
}

/** A config read with GET and written back has no secret: it means "the same secret". */
function keepStoredSecret(config: DriverConfig, stored: DriverConfig): DriverConfig {
  if (config.type !== "hook" || config.secret !== undefined || stored.type !== "hook" || !stored.secret) return config;
  return { ...config, secret: stored.secret };
}
