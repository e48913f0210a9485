import { Type } from "typebox";
import { UPGRADE_TASK_PHASES } from "../../domain/upgrade-task.js";
import { FreeObject, StringEnum, TaskMetadata } from "./common.js";

const NodeSelector = Type.Object({
  key: Type.String({ minLength: 1, maxLength: 317 }),
  value: Type.Optional(Type.Array(Type.String({ maxLength: 63 }), { maxItems: 1000 })),
  operator: StringEnum(["in", "notin", "exists", "!", "gt", "lt", "="], {
    description: "`=` is accepted as `in`: the terraform docs' own example uses it.",
  }),
});

const NodePriority = Type.Object({
  nodeSelector: NodeSelector,
  priority: Type.Integer({ minimum: 0, maximum: 2147483647 }),
});

const UpgradeAddonConfig = Type.Object({
  addonTemplateName: Type.String({ minLength: 1, maxLength: 64 }),
  operation: StringEnum(["patch", "batch"], {
    description: "`patch`; `batch` (the terraform docs' example) is accepted as `patch`.",
  }),
  version: Type.String({ minLength: 1, maxLength: 64 }),
  values: Type.Optional(FreeObject),
});

const InPlaceRollingUpdate = Type.Object({
  userDefinedStep: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 120, description: "Largest batch; 0 or absent means 20." }),
  ),
  scope: Type.Optional(StringEnum(["Cluster", "NodePool"])),
});

const UpgradeStrategy = Type.Object({
  type: StringEnum(["inPlaceRollingUpdate"]),
  inPlaceRollingUpdate: Type.Optional(InPlaceRollingUpdate),
});

export const ClusterUpgradeAction = Type.Object({
  addons: Type.Optional(Type.Array(UpgradeAddonConfig, { maxItems: 100 })),
  nodeOrder: Type.Optional(
    Type.Record(Type.String(), Type.Array(NodePriority, { maxItems: 100 }), { maxProperties: 1000 }),
  ),
  nodePoolOrder: Type.Optional(Type.Record(Type.String(), Type.Integer(), { maxProperties: 1000 })),
  strategy: UpgradeStrategy,
  targetVersion: Type.String({ minLength: 1, maxLength: 64 }),
  isOnlyUpgrade: Type.Optional(Type.Boolean()),
  agencyName: Type.Optional(Type.String({ maxLength: 64 })),
});

export const UpgradeClusterRequestBody = Type.Object({
  metadata: Type.Object({ apiVersion: Type.Literal("v3"), kind: Type.Literal("UpgradeTask") }),
  spec: Type.Object({ clusterUpgradeAction: ClusterUpgradeAction }),
});

export const UpgradeClusterResponse = Type.Object({
  uid: Type.String({ description: "Task ID (older Go and Python SDK models read this)." }),
  metadata: Type.Object({ uid: Type.String({ description: "Task ID (terraform and the Node SDK read this)." }) }),
  spec: Type.Object({
    clusterUpgradeAction: Type.Object({
      version: Type.String(),
      targetVersion: Type.String(),
      targetPlatformVersion: Type.String(),
      strategy: FreeObject,
    }),
  }),
});

export const UpgradeTask = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  metadata: TaskMetadata,
  spec: Type.Object({
    version: Type.String({ description: "Cluster version before the upgrade." }),
    targetVersion: Type.String(),
    items: Type.Optional(FreeObject),
  }),
  status: Type.Object({
    phase: StringEnum(UPGRADE_TASK_PHASES),
    progress: Type.String({ description: 'Percent with two decimals, e.g. `"42.00"`.' }),
    completionTime: Type.String(),
  }),
});

export const UpgradeTaskList = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  metadata: FreeObject,
  items: Type.Array(UpgradeTask),
});

/** Pause, Continue and Retry answer an empty object. */
export const UpgradeControlResponse = Type.Object({});
