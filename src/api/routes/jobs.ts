import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { findClusterJob } from "../../store/cluster-lifecycle-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { jobDocument } from "../node-documents.js";
import { withErrors } from "../schemas/common.js";
import { Job, JobParams } from "../schemas/job.js";

/**
 * ShowJob (reference §7.3): the jobs of the cluster lifecycle (creating and deleting clusters, pools and nodes,
 * scaling pools). The upgrade APIs hand out no job IDs: their progress is read from the tasks themselves.
 */
export function jobRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, zone } = context;
  return async (app) => {
    app.get(
      "/api/v3/projects/:project_id/jobs/:job_id",
      { schema: { operationId: "ShowJob", params: JobParams, response: withErrors({ 200: Job }) } },
      async (request) => {
        const job = await findClusterJob(store.db, request.params.project_id, request.params.job_id);
        if (!job) throw new ApiError("resourceNotFound", `job ${request.params.job_id} not found`);
        return jobDocument(job, zone);
      },
    );
  };
}
