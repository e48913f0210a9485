import { Type } from "typebox";
import { STEP_KINDS, type StepKind } from "./upgrade-plan.js";

/**
 * A fault rule: the next `times` attempts of matching steps fail (or stall). The seed file and the fault API share
 * it, and it lives here rather than in the store so that the API client can take its type without the store.
 */
export const FaultRule = Type.Object(
  {
    // Unsafe only types it: a union built from an array is `never` to Static, and the JSON Schema stays as it was.
    step: Type.Unsafe<StepKind>(Type.Union(STEP_KINDS.map((kind) => Type.Literal(kind)))),
    target: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Node or add-on name, or pre-check item; absent: the first step of the kind.",
      }),
    ),
    times: Type.Integer({ minimum: 1, maximum: 1000, description: "Attempts that fail before one succeeds." }),
    error: Type.String({
      minLength: 1,
      maxLength: 128,
      description: "Error code shown in the task, e.g. PodEvictionFailure.",
    }),
    message: Type.Optional(Type.String({ maxLength: 1024 })),
    mode: Type.Optional(Type.Union([Type.Literal("fail"), Type.Literal("stall")], { description: "Default fail." })),
    stallSeconds: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 86400,
        description: "How long a stall lasts (default 3600); deleting the fault ends it.",
      }),
    ),
    retryable: Type.Optional(Type.Boolean({ description: "Let the engine retry the step by itself (default false)." })),
  },
  { additionalProperties: false },
);
