import { Type } from "typebox";
import { CheckGroupStatusSchema, NodeCheckStatusSchema } from "../../domain/check-result-schema.js";
import { PRECHECK_PHASES } from "../../domain/upgrade-checks.js";
import { FreeObject, StringEnum, TaskMetadata } from "./common.js";

const VersionText = Type.String({ maxLength: 64 });

const ResourceSelector = Type.Object({
  key: StringEnum(["node.uid"]),
  values: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
  operator: StringEnum(["In"]),
});

const SkippedCheckItem = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "Item name; absent: every item." })),
  resourceSelector: Type.Optional(ResourceSelector),
});

const PrecheckSpec = Type.Object({
  clusterID: Type.Optional(Type.String({ maxLength: 64, description: "Ignored: the path names the cluster." })),
  clusterVersion: Type.Optional(VersionText),
  targetVersion: Type.Optional(VersionText),
  skippedCheckItemList: Type.Optional(Type.Array(SkippedCheckItem, { maxItems: 100 })),
});

export const PrecheckClusterRequestBody = Type.Object({
  apiVersion: Type.Literal("v3"),
  kind: Type.Literal("PreCheckTask"),
  spec: PrecheckSpec,
});

const PrecheckStatus = Type.Object({
  phase: StringEnum(PRECHECK_PHASES),
  expireTimeStamp: Type.Optional(Type.String({ description: "Set when the check ends." })),
  message: Type.Optional(Type.String({ description: "Why the check did not succeed." })),
  clusterCheckStatus: CheckGroupStatusSchema,
  addonCheckStatus: CheckGroupStatusSchema,
  nodeCheckStatus: NodeCheckStatusSchema,
});

export const PrecheckTask = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: TaskMetadata,
  spec: PrecheckSpec,
  status: PrecheckStatus,
});

export const CreatePreCheckResponse = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: Type.Object({ uid: Type.String({ description: "Pre-check task ID (terraform reads it)." }) }),
  spec: PrecheckSpec,
  status: PrecheckStatus,
});

export const PrecheckTaskList = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: FreeObject,
  items: Type.Array(PrecheckTask),
});

const PostcheckSpec = Type.Object({
  clusterID: Type.Optional(Type.String({ maxLength: 64, description: "Ignored: the path names the cluster." })),
  clusterVersion: Type.Optional(VersionText),
  targetVersion: Type.Optional(VersionText),
});

export const PostcheckClusterRequestBody = Type.Object({
  apiVersion: Type.Literal("v3"),
  kind: Type.Literal("PostCheckTask"),
  spec: PostcheckSpec,
});

export const PostcheckResponse = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: Type.Object({ uid: Type.String() }),
  spec: Type.Object({ clusterID: Type.String(), clusterVersion: Type.String(), targetVersion: Type.String() }),
  status: Type.Object({
    phase: StringEnum(["Success", "Failed"], { description: "Terraform requires Success." }),
    message: Type.Optional(Type.String()),
  }),
});
