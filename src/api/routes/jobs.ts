import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ApiError } from "../errors.js";
import { withErrors } from "../schemas/common.js";

const JobParams = Type.Object({
  project_id: Type.String({ maxLength: 64 }),
  job_id: Type.String({ maxLength: 64 }),
});

/**
 * ShowJob (reference §7.3). The upgrade APIs never hand out job IDs (progress is read from the tasks themselves), so
 * there is no job to show: every ID answers 404, as an unknown job does in CCE.
 */
export function jobRoutes(): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/api/v3/projects/:project_id/jobs/:job_id",
      { schema: { operationId: "ShowJob", params: JobParams, response: withErrors({}) } },
      async (request) => {
        throw new ApiError("resourceNotFound", `job ${request.params.job_id} not found`);
      },
    );
  };
}
