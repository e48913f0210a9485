import { Type } from "typebox";
import { FreeObject } from "./common.js";

export const JobParams = Type.Object({
  project_id: Type.String({ maxLength: 64 }),
  job_id: Type.String({ maxLength: 64, description: "Job ID, a `status.jobID` of a cluster, pool or node." }),
});

const JobMetadata = Type.Object({
  uid: Type.String(),
  creationTimestamp: Type.String(),
  updateTimestamp: Type.String(),
});
const JobStatus = Type.Object({ phase: Type.String(), reason: Type.Optional(Type.String()) });
const JobSpec = {
  type: Type.String(),
  clusterUID: Type.String(),
  resourceID: Type.String(),
  resourceName: Type.String(),
  extendParam: FreeObject,
};

export const Job = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  metadata: JobMetadata,
  spec: Type.Object({
    ...JobSpec,
    subJobs: Type.Array(
      Type.Object({
        kind: Type.String(),
        apiVersion: Type.String(),
        metadata: JobMetadata,
        spec: Type.Object(JobSpec),
        status: JobStatus,
      }),
    ),
  }),
  status: JobStatus,
});
