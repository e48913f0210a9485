import { describe, expect, it } from "vitest";
import {
  DEFAULT_BATCH_CAP,
  findInventoryProblem,
  normalizeUpgradeAction,
  type UpgradeAction,
} from "../../src/domain/upgrade-request.js";

const TARGET = "v1.29.15-r50";
const base: UpgradeAction = { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } };
const cluster = { addonNames: ["coredns", "autoscaler"], nodePoolIds: ["DefaultPool", "p1"] };
const addon = (name: string) => ({ addonTemplateName: name, operation: "patch", version: "1.0.0" });
const rule = (operator: string) => ({ nodeSelector: { key: "zone", value: ["z1"], operator }, priority: 1 });

describe("findInventoryProblem", () => {
  it("accepts add-ons and pools the cluster has", () => {
    const action = {
      ...base,
      addons: [addon("coredns"), addon("autoscaler")],
      nodePoolOrder: { DefaultPool: 1, p1: 2 },
      nodeOrder: { p1: [rule("in")] },
    };
    expect(findInventoryProblem(action, cluster)).toBeUndefined();
  });

  it("names the first add-on the cluster does not have by its index", () => {
    const action = { ...base, addons: [addon("coredns"), addon("gpu"), addon("other")] };
    expect(findInventoryProblem(action, cluster)).toEqual({
      field: "spec.clusterUpgradeAction.addons[1].addonTemplateName",
      message: 'add-on "gpu" is not installed on the cluster',
    });
  });

  it("names nodePoolOrder or nodeOrder when they name a pool the cluster does not have", () => {
    expect(findInventoryProblem({ ...base, nodePoolOrder: { p1: 1, ghost: 2 } }, cluster)).toEqual({
      field: "spec.clusterUpgradeAction.nodePoolOrder",
      message: 'node pool "ghost" does not exist in the cluster',
    });
    expect(findInventoryProblem({ ...base, nodeOrder: { DefaultPool: [], ghost: [rule("in")] } }, cluster)).toEqual({
      field: "spec.clusterUpgradeAction.nodeOrder",
      message: 'node pool "ghost" does not exist in the cluster',
    });
  });

  it("reports add-ons before pools, and nodePoolOrder before nodeOrder", () => {
    const everything = {
      ...base,
      addons: [addon("gpu")],
      nodePoolOrder: { a: 1 },
      nodeOrder: { b: [rule("in")] },
    };
    expect(findInventoryProblem(everything, cluster)?.field).toBe(
      "spec.clusterUpgradeAction.addons[0].addonTemplateName",
    );
    const { addons: _, ...pools } = everything;
    expect(findInventoryProblem(pools, cluster)?.field).toBe("spec.clusterUpgradeAction.nodePoolOrder");
  });
});

describe("normalizeUpgradeAction", () => {
  it.each([
    ["no inPlaceRollingUpdate", undefined, { userDefinedStep: DEFAULT_BATCH_CAP, scope: "Cluster" }],
    ["an empty one", {}, { userDefinedStep: 20, scope: "Cluster" }],
    ["userDefinedStep 0", { userDefinedStep: 0 }, { userDefinedStep: 20, scope: "Cluster" }],
    ["userDefinedStep 1", { userDefinedStep: 1 }, { userDefinedStep: 1, scope: "Cluster" }],
    [
      "userDefinedStep 120, NodePool",
      { userDefinedStep: 120, scope: "NodePool" },
      { userDefinedStep: 120, scope: "NodePool" },
    ],
    ["scope Cluster", { scope: "Cluster" }, { userDefinedStep: 20, scope: "Cluster" }],
  ] as const)("fills the batch cap and scope for %s", (_, rolling, expected) => {
    const action = {
      ...base,
      strategy: { type: "inPlaceRollingUpdate", ...(rolling && { inPlaceRollingUpdate: rolling }) },
    };
    expect(normalizeUpgradeAction(action, TARGET).strategy).toEqual({
      type: "inPlaceRollingUpdate",
      inPlaceRollingUpdate: expected,
    });
  });

  it("stores the resolved target and keeps the fields it does not change", () => {
    const action = { ...base, nodePoolOrder: { p1: 3 }, isOnlyUpgrade: true, agencyName: "agency" };
    expect(normalizeUpgradeAction(action, TARGET)).toEqual({
      targetVersion: TARGET,
      strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 20, scope: "Cluster" } },
      nodePoolOrder: { p1: 3 },
      isOnlyUpgrade: true,
      agencyName: "agency",
    });
  });

  it("writes every add-on operation as patch, keeping the rest of the add-on", () => {
    const addons = [
      { addonTemplateName: "coredns", operation: "batch", version: "1.29.4", values: { flavor: 1 } },
      { addonTemplateName: "autoscaler", operation: "patch", version: "1.29.1" },
    ];
    expect(normalizeUpgradeAction({ ...base, addons }, TARGET).addons).toEqual([
      { addonTemplateName: "coredns", operation: "patch", version: "1.29.4", values: { flavor: 1 } },
      { addonTemplateName: "autoscaler", operation: "patch", version: "1.29.1" },
    ]);
  });

  it("reads the selector operator = as in and leaves the other operators and the priorities as they are", () => {
    const nodeOrder = {
      DefaultPool: [rule("="), rule("notin")],
      p1: [{ nodeSelector: { key: "cpu", value: ["4"], operator: "gt" }, priority: 7 }],
    };
    expect(normalizeUpgradeAction({ ...base, nodeOrder }, TARGET).nodeOrder).toEqual({
      DefaultPool: [rule("in"), rule("notin")],
      p1: [{ nodeSelector: { key: "cpu", value: ["4"], operator: "gt" }, priority: 7 }],
    });
  });

  it("adds no addons or nodeOrder a request did not have", () => {
    const normalized = normalizeUpgradeAction(base, TARGET);
    expect(normalized).not.toHaveProperty("addons");
    expect(normalized).not.toHaveProperty("nodeOrder");
  });

  it("leaves the request it was given as it was", () => {
    const action = { ...base, addons: [addon("coredns")], nodeOrder: { p1: [rule("=")] } };
    const before = structuredClone(action);
    normalizeUpgradeAction(action, TARGET);
    expect(action).toEqual(before);
  });
});
