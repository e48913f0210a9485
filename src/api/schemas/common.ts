import { type TSchema, Type } from "typebox";

export { StringEnum } from "../../domain/string-enum.js";

/** A free-form JSON object, passed through as it is. */
export const FreeObject = Type.Object({}, { additionalProperties: true });

export const ProjectParams = Type.Object({
  project_id: Type.String({ maxLength: 64, description: "Project ID (32 lowercase hex)." }),
});

export const ClusterParams = Type.Object({
  project_id: Type.String({ maxLength: 64 }),
  cluster_id: Type.String({ maxLength: 64, description: "Cluster ID (UUID)." }),
});

export const TaskParams = Type.Object({
  project_id: Type.String({ maxLength: 64 }),
  cluster_id: Type.String({ maxLength: 64 }),
  task_id: Type.String({ maxLength: 64, description: "Task ID, the `uid` returned when the task was created." }),
});

export const ErrorResponse = Type.Object(
  {
    errorCode: Type.String(),
    errorMessage: Type.String(),
    error_code: Type.String(),
    error_msg: Type.String(),
    request_id: Type.Optional(Type.String({ description: "API-gateway (APIGW.*) errors only." })),
  },
  { $id: "ErrorResponse", description: "CCE error body with both key forms; `X-Request-Id` is set on every response." },
);

/** The error responses every CCE route may give, for the OpenAPI document. */
export function withErrors<T extends Record<number, TSchema>>(responses: T) {
  const error = Type.Ref("ErrorResponse");
  return { ...responses, 400: error, 401: error, 403: error, 404: error, 413: error, 429: error };
}

/** Kubernetes-style metadata of a task. */
export const TaskMetadata = Type.Object({
  uid: Type.String(),
  creationTimestamp: Type.String({ description: "Go time.Time.String() layout." }),
  updateTimestamp: Type.String(),
});
