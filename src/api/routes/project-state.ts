import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ProjectStateSchema } from "../../domain/project-state.js";
import { DEFAULT_FAULT_MAX_STALL_SECONDS } from "../../store/fault-queries.js";
import { ResetRefusedError, resetProject } from "../../store/project-reset.js";
import { exportProjectState } from "../../store/project-state-export.js";
import { importProjectState, ProjectStateRefusedError } from "../../store/project-state-import.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { ProjectParams, withErrors } from "../schemas/common.js";
import { ProjectStateChange } from "../schemas/project-state.js";

const PROJECT = "/ext/v1/projects/:project_id";

/**
 * A project's state as a whole: bring it back to its seed, export it as one document, restore such a document. The
 * project's own credential only, as on every CCE route: another project's is refused as an unknown project's is.
 */
export function projectStateRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock } = context;
  const maxStallSeconds = context.faultMaxStallSeconds ?? DEFAULT_FAULT_MAX_STALL_SECONDS;
  return async (app) => {
    app.post(
      `${PROJECT}/reset`,
      {
        schema: {
          operationId: "ResetProject",
          tags: ["extensions"],
          summary:
            "Bring the project back to its seed: its running work is stopped, its tasks, checks, backups, workflows, " +
            "faults, driver choices and simulator state removed, its clusters, pools, nodes and add-ons restored as " +
            "seeded. Credentials stay. 403 CCE.01403003 when no seed was recorded for the project.",
          params: ProjectParams,
          response: withErrors({ 200: ProjectStateChange }),
        },
      },
      async (request) => {
        const projectId = request.params.project_id;
        try {
          return { projectId, ...(await resetProject(store, projectId, clock.nowMicros())) };
        } catch (error) {
          if (error instanceof ResetRefusedError) throw new ApiError("clusterStateForbids", error.message);
          throw error;
        }
      },
    );

    app.get(
      `${PROJECT}/state`,
      {
        schema: {
          operationId: "ShowProjectState",
          tags: ["extensions"],
          summary:
            "The project's whole state as one versioned document (ProjectState, version 2): every row of its " +
            "clusters, tasks with their plans, checks, backups, workflows, faults and simulator state; no credentials.",
          params: ProjectParams,
          response: withErrors({ 200: ProjectStateSchema }),
        },
        // The document goes out as read: a serializer built from the schema would drop keys it does not name and
        // throw on a row of another shape (one older code wrote), where an export must lose nothing.
        serializerCompiler: () => (data) => JSON.stringify(data),
      },
      async (request) => exportProjectState(store, request.params.project_id),
    );

    app.put(
      `${PROJECT}/state`,
      {
        schema: {
          operationId: "RestoreProjectState",
          tags: ["extensions"],
          summary:
            "Replace the project's whole state with a ProjectState document, in one transaction; a bad document, or " +
            "one naming another project's IDs, is a 400 and changes nothing. A restored running task goes on from " +
            "its step.",
          params: ProjectParams,
          body: ProjectStateSchema,
          response: withErrors({ 200: ProjectStateChange }),
        },
      },
      async (request) => {
        const projectId = request.params.project_id;
        try {
          const now = clock.nowMicros();
          return { projectId, ...(await importProjectState(store, projectId, request.body, now, maxStallSeconds)) };
        } catch (error) {
          if (error instanceof ProjectStateRefusedError) throw new ApiError("invalidRequest", error.message);
          throw error;
        }
      },
    );
  };
}
