import { Type } from "typebox";
import {
  CHECK_ITEM_GROUPS,
  CHECK_ITEM_KINDS,
  CHECK_ITEM_LEVELS,
  CHECK_PHASES,
  PRECHECK_PHASES,
} from "../../domain/upgrade-checks.js";
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

const RiskSource = Type.Object({
  configurationRisks: Type.Optional(Type.Array(FreeObject)),
  deprecatedAPIRisks: Type.Optional(Type.Array(Type.Object({ url: Type.String(), userAgent: Type.String() }))),
  nodeRisks: Type.Optional(Type.Array(Type.Object({ NodeID: Type.String() }))),
  addonRisks: Type.Optional(Type.Array(Type.Object({ addonTemplateName: Type.String(), alias: Type.String() }))),
});

const PreCheckItemStatus = Type.Object({
  name: Type.String(),
  kind: StringEnum(CHECK_ITEM_KINDS),
  group: StringEnum(CHECK_ITEM_GROUPS),
  level: StringEnum(CHECK_ITEM_LEVELS),
  phase: StringEnum(CHECK_PHASES),
  message: Type.String(),
  riskSource: Type.Optional(RiskSource),
  errorCodes: Type.Optional(Type.Array(Type.String())),
});

const CheckGroupStatus = Type.Object({ phase: StringEnum(CHECK_PHASES), itemsStatus: Type.Array(PreCheckItemStatus) });

const PrecheckStatus = Type.Object({
  phase: StringEnum(PRECHECK_PHASES),
  expireTimeStamp: Type.Optional(Type.String({ description: "Set when the check ends." })),
  message: Type.Optional(Type.String({ description: "Why the check did not succeed." })),
  clusterCheckStatus: CheckGroupStatus,
  addonCheckStatus: CheckGroupStatus,
  nodeCheckStatus: Type.Object({
    phase: StringEnum(CHECK_PHASES),
    nodeStageStatus: Type.Array(
      Type.Object({
        nodeInfo: Type.Object({
          uid: Type.String(),
          name: Type.String(),
          status: Type.String(),
          nodeType: StringEnum(["master", "node"]),
        }),
        itemsStatus: Type.Array(PreCheckItemStatus),
      }),
    ),
  }),
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
