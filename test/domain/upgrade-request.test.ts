import { describe, expect, it } from "vitest";
import { findInventoryProblem, normalizeUpgradeAction } from "../../src/domain/upgrade-request.js";
import { formatProgress } from "../../src/domain/upgrade-task.js";

const action = { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } };
const cluster = { addonNames: ["coredns"], nodePoolIds: ["DefaultPool", "p1"] };

describe("upgrade request rules", () => {
  it("names the field of an add-on or pool the cluster does not have", () => {
    expect(findInventoryProblem(action, cluster)).toBeUndefined();
    expect(
      findInventoryProblem(
        { ...action, addons: [{ addonTemplateName: "gpu", operation: "patch", version: "1" }] },
        cluster,
      ),
    ).toMatchObject({ field: "spec.clusterUpgradeAction.addons[0].addonTemplateName" });
    expect(findInventoryProblem({ ...action, nodePoolOrder: { DefaultPool: 1, nope: 2 } }, cluster)).toMatchObject({
      field: "spec.clusterUpgradeAction.nodePoolOrder",
    });
  });

  it("fills defaults and canonicalises lenient spellings", () => {
    const normalized = normalizeUpgradeAction(
      {
        ...action,
        strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 0 } },
        addons: [{ addonTemplateName: "coredns", operation: "batch", version: "1.29.4" }],
        nodeOrder: { DefaultPool: [{ nodeSelector: { key: "name", value: ["n1"], operator: "=" }, priority: 1 }] },
      },
      "v1.29.15-r50",
    );
    expect(normalized.targetVersion).toBe("v1.29.15-r50");
    expect(normalized.strategy.inPlaceRollingUpdate).toEqual({ userDefinedStep: 20, scope: "Cluster" });
    expect(normalized.addons?.[0]?.operation).toBe("patch");
    expect(normalized.nodeOrder?.DefaultPool?.[0]?.nodeSelector.operator).toBe("in");
  });
});

describe("formatProgress", () => {
  it("prints hundredths of a percent with two decimals, clamped to 0..100", () => {
    expect(formatProgress(0)).toBe("0.00");
    expect(formatProgress(4207)).toBe("42.07");
    expect(formatProgress(10_000)).toBe("100.00");
    expect(formatProgress(12_345)).toBe("100.00");
    expect(formatProgress(-5)).toBe("0.00");
  });
});
