import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "typebox";
import { type DriverChoice, DriverChoiceSchema, SIMULATOR_CHOICE, transportKinds } from "../../domain/driver-config.js";
import { findClusterDriver, replaceDriverUnlessUpgrading } from "../../store/cluster-driver-queries.js";
import { findCluster } from "../../store/cluster-queries.js";
import { findProjectProfile } from "../../store/driver-profile-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { DriverView } from "../schemas/cluster-driver.js";
import { ClusterParams, withErrors } from "../schemas/common.js";

const DRIVER_PATH = "/ext/v1/projects/:project_id/clusters/:cluster_id/driver";

type DriverViewType = Static<typeof DriverView>;

/**
 * A cluster's driver: the simulator or one of the driver profiles the operator's seed file gives the project. Tenants
 * only choose; what a profile runs is the operator's, and GET shows no more than its transport kinds.
 */
export function clusterDriverRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock } = context;

  async function requireClusterChoice(projectId: string, clusterId: string): Promise<DriverChoice> {
    const found = (await findCluster(store.db, projectId, clusterId)) && (await findClusterDriver(store.db, clusterId));
    if (!found) throw new ApiError("resourceNotFound", `cluster ${clusterId} not found`);
    return found.choice;
  }

  async function view(projectId: string, choice: DriverChoice): Promise<DriverViewType> {
    if (choice.type === "simulator") return SIMULATOR_CHOICE;
    const profile = await findProjectProfile(store.db, projectId, choice.profile);
    if (!profile) return { ...choice, available: false };
    return { ...choice, available: true, transports: transportKinds(profile) };
  }

  return async (app) => {
    app.get(
      DRIVER_PATH,
      {
        schema: {
          operationId: "ShowClusterDriver",
          tags: ["extensions"],
          summary: "What runs the cluster's upgrade steps: the simulator or a driver profile, by name.",
          params: ClusterParams,
          response: withErrors({ 200: DriverView }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId } = request.params;
        return view(projectId, await requireClusterChoice(projectId, clusterId));
      },
    );

    app.put(
      DRIVER_PATH,
      {
        schema: {
          operationId: "UpdateClusterDriver",
          tags: ["extensions"],
          summary:
            "Run the cluster's upgrade steps on the simulator or a driver profile the project may use; refused during an upgrade.",
          params: ClusterParams,
          body: DriverChoiceSchema,
          response: withErrors({ 200: DriverView, 409: Type.Ref("ErrorResponse") }),
        },
      },
      async (request) => {
        const { project_id: projectId, cluster_id: clusterId } = request.params;
        await requireClusterChoice(projectId, clusterId);
        const choice = choiceOf(request.body);
        const shown = await view(projectId, choice);
        // One answer whether the profile belongs to another project or to none: its name tells a tenant nothing.
        if (shown.available === false) {
          throw new ApiError(
            "invalidRequest",
            `profile ${JSON.stringify(shown.profile)} is not one this project may use`,
          );
        }
        if (!(await replaceDriverUnlessUpgrading(store.db, clusterId, choice, clock.nowMicros()))) {
          throw new ApiError(
            "clusterUpgrading",
            `cluster ${clusterId} has an active upgrade task; change its driver after it ends`,
          );
        }
        return shown;
      },
    );
  };
}

/** The choice a body makes; `profile` goes with `type: profile` and only with it. */
function choiceOf(body: Static<typeof DriverChoiceSchema>): DriverChoice {
  if (body.type === "profile") {
    if (body.profile === undefined) throw new ApiError("invalidRequest", "profile is required with type profile");
    return { type: "profile", profile: body.profile };
  }
  if (body.profile !== undefined) throw new ApiError("invalidRequest", "profile is allowed only with type profile");
  return SIMULATOR_CHOICE;
}
