import { Type } from "typebox";
import { FreeObject, StringEnum } from "./common.js";

/** `Metadata` of the reference's §8; every key optional. */
const Metadata = Type.Object({
  uid: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  labels: Type.Optional(FreeObject),
  annotations: Type.Optional(FreeObject),
  creationTimestamp: Type.Optional(Type.String()),
  updateTimestamp: Type.Optional(Type.String()),
});

const UpgradeInfoStatus = Type.Object(
  {
    phase: Type.Optional(StringEnum(["Init", "Running", "Pause", "Success", "Failed"])),
    progress: Type.Optional(Type.String()),
    completionTime: Type.Optional(Type.String()),
  },
  { description: "Empty when the cluster was never upgraded." },
);

export const UpgradeInfo = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  metadata: Metadata,
  spec: Type.Object({
    lastUpgradeInfo: UpgradeInfoStatus,
    versionInfo: Type.Object({
      release: Type.String(),
      patch: Type.String(),
      suggestPatch: Type.String(),
      targetVersions: Type.Array(Type.String()),
    }),
    upgradeFeatureGates: Type.Object({ supportUpgradePageV4: Type.Boolean() }),
  }),
  status: UpgradeInfoStatus,
});

export const UpgradePaths = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: Metadata,
  upgradePaths: Type.Array(
    Type.Object({ version: Type.String(), platformVersion: Type.String(), targetVersions: Type.Array(Type.String()) }),
  ),
});

export const FEATURE_GATE_VALUES = ["Support", "Disable", "Default"] as const;

export const UpgradeFeatureGates = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: Metadata,
  upgradeFeatureGates: Type.Record(Type.String(), StringEnum(FEATURE_GATE_VALUES)),
});
