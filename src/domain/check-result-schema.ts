import { Type } from "typebox";
import { StringEnum } from "./string-enum.js";
import { CHECK_ITEM_GROUPS, CHECK_ITEM_KINDS, CHECK_ITEM_LEVELS, CHECK_PHASES } from "./upgrade-checks.js";

const RiskSource = Type.Object({
  configurationRisks: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
  deprecatedAPIRisks: Type.Optional(Type.Array(Type.Object({ url: Type.String(), userAgent: Type.String() }))),
  nodeRisks: Type.Optional(Type.Array(Type.Object({ NodeID: Type.String() }))),
  addonRisks: Type.Optional(Type.Array(Type.Object({ addonTemplateName: Type.String(), alias: Type.String() }))),
});

/** One check item's result (`PreCheckItemStatus`): the API shows it, a project's state document stores it. */
export const CheckItemStatusSchema = Type.Object({
  name: Type.String(),
  kind: StringEnum(CHECK_ITEM_KINDS),
  group: StringEnum(CHECK_ITEM_GROUPS),
  level: StringEnum(CHECK_ITEM_LEVELS),
  phase: StringEnum(CHECK_PHASES),
  message: Type.String(),
  riskSource: Type.Optional(RiskSource),
  errorCodes: Type.Optional(Type.Array(Type.String())),
});

export const CheckGroupStatusSchema = Type.Object({
  phase: StringEnum(CHECK_PHASES),
  itemsStatus: Type.Array(CheckItemStatusSchema),
});

export const NodeCheckStatusSchema = Type.Object({
  phase: StringEnum(CHECK_PHASES),
  nodeStageStatus: Type.Array(
    Type.Object({
      nodeInfo: Type.Object({
        uid: Type.String(),
        name: Type.String(),
        status: Type.String(),
        nodeType: StringEnum(["master", "node"]),
      }),
      itemsStatus: Type.Array(CheckItemStatusSchema),
    }),
  ),
});
