import { describe, expect, it } from "vitest";
import {
  addonSupports,
  type CheckItemStatus,
  evaluatePostcheck,
  evaluatePrecheck,
  type PrecheckInput,
  type PrecheckResult,
} from "../../src/domain/upgrade-checks.js";

const FROM = "v1.28.15-r30";
const TO = "v1.29.15-r50";

/** A healthy cluster at FROM with three Active nodes in two pools, checked for TO. */
function healthy(overrides: Partial<PrecheckInput> = {}): PrecheckInput {
  return {
    cluster: { version: FROM, phase: "Available", hasActiveUpgrade: false },
    targetVersion: TO,
    nodes: [
      { id: "uid-1", name: "n1", poolId: "DefaultPool", status: "Active", version: FROM },
      { id: "uid-2", name: "n2", poolId: "DefaultPool", status: "Active", version: FROM },
      { id: "uid-3", name: "n3", poolId: "pool-b", status: "Active", version: FROM },
    ],
    addons: [{ name: "coredns", version: "1.28.4" }],
    deprecatedApis: [],
    inspection: { ok: true, failedItems: [] },
    skipped: [],
    ...overrides,
  };
}

const clusterItem = (result: PrecheckResult, name: string) =>
  result.clusterCheckStatus.itemsStatus.find((item) => item.name === name) as CheckItemStatus;
const nodeItem = (result: PrecheckResult, uid: string) =>
  result.nodeCheckStatus.nodeStageStatus.find((stage) => stage.nodeInfo.uid === uid)?.itemsStatus[0] as CheckItemStatus;
const allItems = (result: PrecheckResult) => [
  ...result.clusterCheckStatus.itemsStatus,
  ...result.addonCheckStatus.itemsStatus,
  ...result.nodeCheckStatus.nodeStageStatus.flatMap((stage) => stage.itemsStatus),
];

describe("evaluatePrecheck on a healthy cluster", () => {
  it("passes every item, grouped as CCE groups them, with no message", () => {
    const result = evaluatePrecheck(healthy());
    expect(result.phase).toBe("Success");
    expect(result.message).toBeNull();
    expect(result.clusterCheckStatus).toEqual({
      phase: "Success",
      itemsStatus: [
        {
          name: "UpgradePath",
          kind: "Exception",
          group: "LimitCheck",
          level: "Fatal",
          phase: "Success",
          message: `${FROM} may be upgraded to ${TO}`,
        },
        {
          name: "ClusterStatus",
          kind: "Exception",
          group: "MasterCheck",
          level: "Fatal",
          phase: "Success",
          message: "the cluster is Available",
        },
        {
          name: "NodePools",
          kind: "Exception",
          group: "LimitCheck",
          level: "Fatal",
          phase: "Success",
          message: "every node pool runs the cluster's version",
        },
        {
          name: "DeprecatedAPIs",
          kind: "Risk",
          group: "LimitCheck",
          level: "Warning",
          phase: "Success",
          message: `no API removed in ${TO} is in use`,
        },
      ],
    });
    expect(result.addonCheckStatus).toEqual({
      phase: "Success",
      itemsStatus: [
        {
          name: "AddonCompatibility",
          kind: "Risk",
          group: "AddonCheck",
          level: "Warning",
          phase: "Success",
          message: `every add-on supports ${TO}`,
        },
      ],
    });
    expect(result.nodeCheckStatus.phase).toBe("Success");
    expect(result.nodeCheckStatus.nodeStageStatus).toEqual(
      ["uid-1", "uid-2", "uid-3"].map((uid, i) => ({
        nodeInfo: { uid, name: `n${i + 1}`, status: "Active", nodeType: "node" },
        itemsStatus: [
          {
            name: "NodeStatus",
            kind: "Exception",
            group: "NodeCheck",
            level: "Fatal",
            phase: "Success",
            message: "the node is Active",
          },
        ],
      })),
    );
  });

  it("has no node stages for a cluster without nodes, and its node group passes", () => {
    const result = evaluatePrecheck(healthy({ nodes: [] }));
    expect(result.phase).toBe("Success");
    expect(result.nodeCheckStatus).toEqual({ phase: "Success", nodeStageStatus: [] });
  });
});

describe("evaluatePrecheck: each item fails on its own finding", () => {
  it.each([
    ["v1.31", "there is no upgrade path from v1.28.15-r30 to v1.31"],
    ["v1.99", "v1.99 is not a supported CCE version"],
    ["v1.27", "v1.27 is not higher than the cluster's version v1.28.15-r30"],
    [FROM, `${FROM} is not higher than the cluster's version ${FROM}`],
  ])("UpgradePath to %s: %s", (targetVersion, message) => {
    const result = evaluatePrecheck(healthy({ targetVersion }));
    expect(clusterItem(result, "UpgradePath")).toMatchObject({ phase: "Failed", message });
    expect(result.phase).toBe("Failed");
    expect(result.clusterCheckStatus.phase).toBe("Failed");
  });

  it("UpgradePath from a version the catalogue does not know", () => {
    const result = evaluatePrecheck(
      healthy({ cluster: { version: "v1.18.0-r0", phase: "Available", hasActiveUpgrade: false } }),
    );
    expect(clusterItem(result, "UpgradePath")).toMatchObject({
      phase: "Failed",
      message: "the cluster's version v1.18.0-r0 is not in the version catalogue",
    });
  });

  it.each([
    [{ phase: "Upgrading", hasActiveUpgrade: false }, "the cluster is Upgrading, not Available"],
    [{ phase: "Unavailable", hasActiveUpgrade: true }, "the cluster is Unavailable, not Available"],
    [
      { phase: "Available", hasActiveUpgrade: true },
      "the cluster has an unfinished upgrade task (retry or finish it first)",
    ],
  ])("ClusterStatus of %j", (state, message) => {
    const result = evaluatePrecheck(healthy({ cluster: { version: FROM, ...state } }));
    expect(clusterItem(result, "ClusterStatus")).toMatchObject({ phase: "Failed", level: "Fatal", message });
    expect(result.phase).toBe("Failed");
  });

  it("NodePools fails on nodes at another version than the cluster's, naming their pools once and the nodes", () => {
    const base = healthy();
    const nodes = base.nodes.map((node) => (node.id === "uid-1" ? node : { ...node, version: TO }));
    const item = clusterItem(evaluatePrecheck({ ...base, nodes }), "NodePools");
    expect(item).toMatchObject({
      phase: "Failed",
      message: `node pools DefaultPool, pool-b have 2 node(s) on a version other than ${FROM}`,
      riskSource: { nodeRisks: [{ NodeID: "uid-2" }, { NodeID: "uid-3" }] },
    });
    const onePool = base.nodes.map((node) => (node.poolId === "DefaultPool" ? { ...node, version: TO } : node));
    expect(clusterItem(evaluatePrecheck({ ...base, nodes: onePool }), "NodePools").message).toBe(
      `node pools DefaultPool have 2 node(s) on a version other than ${FROM}`,
    );
  });

  it("DeprecatedAPIs fails on APIs removed at or before the target, or with no release given; later ones pass", () => {
    const apis = [
      { url: "/removed-earlier", userAgent: "a", removedIn: "v1.25" },
      { url: "/removed-in-target", userAgent: "b", removedIn: "v1.29" },
      { url: "/removed-later", userAgent: "c", removedIn: "v1.30" },
      { url: "/removed-always", userAgent: "d", removedIn: null },
    ];
    const item = clusterItem(evaluatePrecheck(healthy({ deprecatedApis: apis })), "DeprecatedAPIs");
    expect(item).toMatchObject({
      kind: "Risk",
      level: "Warning",
      phase: "Failed",
      message: `3 API(s) removed in ${TO} are still called: /removed-earlier, /removed-in-target, /removed-always`,
      riskSource: {
        deprecatedAPIRisks: [
          { url: "/removed-earlier", userAgent: "a" },
          { url: "/removed-in-target", userAgent: "b" },
          { url: "/removed-always", userAgent: "d" },
        ],
      },
    });
    const later = clusterItem(evaluatePrecheck(healthy({ deprecatedApis: [apis[2] as never] })), "DeprecatedAPIs");
    expect(later.phase).toBe("Success");
  });

  it("DeprecatedAPIs compares patch versions too: an API removed in a later patch of the target's release passes", () => {
    const api = { url: "/x", userAgent: "u", removedIn: "v1.29.16" };
    expect(clusterItem(evaluatePrecheck(healthy({ deprecatedApis: [api] })), "DeprecatedAPIs").phase).toBe("Success");
    const earlier = { ...api, removedIn: "v1.29.15" };
    expect(clusterItem(evaluatePrecheck(healthy({ deprecatedApis: [earlier] })), "DeprecatedAPIs").phase).toBe(
      "Failed",
    );
  });

  it("AddonCompatibility fails on a Kubernetes-tracking add-on more than two minors behind the target", () => {
    const addons = [
      { name: "coredns", version: "1.26.4" },
      { name: "autoscaler", version: "1.27.1" },
      { name: "everest", version: "2.1.9" },
      { name: "old-style", version: "1.16.0" },
    ];
    const result = evaluatePrecheck(healthy({ addons }));
    expect(result.addonCheckStatus).toEqual({
      phase: "Failed",
      itemsStatus: [
        {
          name: "AddonCompatibility",
          kind: "Risk",
          group: "AddonCheck",
          level: "Warning",
          phase: "Failed",
          message: `upgrade coredns 1.26.4 along with the cluster: too old for ${TO}`,
          riskSource: { addonRisks: [{ addonTemplateName: "coredns", alias: "coredns" }] },
        },
      ],
    });
    expect(result.clusterCheckStatus.phase).toBe("Success");
    expect(result.phase).toBe("Success");
    expect(result.message).toBe(
      `pre-check passed with warnings: AddonCompatibility (upgrade coredns 1.26.4 along with the cluster: too old for ${TO})`,
    );
  });

  it("AddonCompatibility lists every outdated add-on", () => {
    const addons = [
      { name: "a", version: "1.20.0" },
      { name: "b", version: "1.21.0" },
    ];
    const item = evaluatePrecheck(healthy({ addons })).addonCheckStatus.itemsStatus[0];
    expect(item?.message).toBe(`upgrade a 1.20.0, b 1.21.0 along with the cluster: too old for ${TO}`);
    expect(item?.riskSource?.addonRisks?.map((r) => r.addonTemplateName)).toEqual(["a", "b"]);
  });

  it("NodeStatus fails on each node that is not Active, in that node's stage only", () => {
    const base = healthy();
    const nodes = base.nodes.map((node) => (node.id === "uid-2" ? { ...node, status: "Abnormal" } : node));
    const result = evaluatePrecheck({ ...base, nodes });
    expect(nodeItem(result, "uid-2")).toMatchObject({
      phase: "Failed",
      message: "the node is Abnormal",
      riskSource: { nodeRisks: [{ NodeID: "uid-2" }] },
    });
    expect(result.nodeCheckStatus.nodeStageStatus[1]?.nodeInfo).toEqual({
      uid: "uid-2",
      name: "n2",
      status: "Abnormal",
      nodeType: "node",
    });
    expect([nodeItem(result, "uid-1").phase, nodeItem(result, "uid-3").phase]).toEqual(["Success", "Success"]);
    expect(result.nodeCheckStatus.phase).toBe("Failed");
    expect(result.clusterCheckStatus.phase).toBe("Success");
    expect(result.phase).toBe("Failed");
    expect(result.message).toBe("pre-check failed: NodeStatus on n2 (the node is Abnormal)");
  });

  it("lists every failed item in the message, cluster items first, nodes named", () => {
    const base = healthy();
    const result = evaluatePrecheck({
      ...base,
      cluster: { ...base.cluster, phase: "Upgrading" },
      nodes: base.nodes.map((node) => ({ ...node, status: "Abnormal" })),
      addons: [{ name: "coredns", version: "1.20.0" }],
    });
    expect(result.message).toBe(
      "pre-check failed: ClusterStatus (the cluster is Upgrading, not Available); " +
        `AddonCompatibility (upgrade coredns 1.20.0 along with the cluster: too old for ${TO}); ` +
        "NodeStatus on n1 (the node is Abnormal); NodeStatus on n2 (the node is Abnormal); " +
        "NodeStatus on n3 (the node is Abnormal)",
    );
  });
});

describe("addonSupports", () => {
  it.each([
    ["1.28.4", 30, true],
    ["1.28.4", 31, false],
    ["1.17.0", 19, true],
    ["1.17.0", 20, false],
    ["1.16.9", 34, true],
    ["2.1.0", 34, true],
    ["0.30.0", 34, true],
    ["v1.20.0", 34, true],
    ["latest", 34, true],
    ["1.29", 29, true],
  ])("add-on %s on a cluster at minor %i → %s", (version, minor, expected) => {
    expect(addonSupports(version, minor)).toBe(expected);
  });
});

describe("evaluatePrecheck: what the driver found", () => {
  const found = (...items: [string, string][]): Partial<PrecheckInput> => ({
    inspection: { ok: true, failedItems: items.map(([item, code]) => ({ item, code, message: `${code} on ${item}` })) },
  });

  it("fails the item the driver found failing, with its code and message, and nothing else", () => {
    const result = evaluatePrecheck(healthy(found(["DeprecatedAPIs", "DeprecatedApiInUse"])));
    expect(clusterItem(result, "DeprecatedAPIs")).toEqual({
      name: "DeprecatedAPIs",
      kind: "Risk",
      group: "LimitCheck",
      level: "Warning",
      phase: "Failed",
      message: "DeprecatedApiInUse on DeprecatedAPIs",
      errorCodes: ["DeprecatedApiInUse"],
    });
    // A Warning item: the check passes, with the risk in its message.
    expect(result.phase).toBe("Success");
    expect(result.message).toBe(
      "pre-check passed with warnings: DeprecatedAPIs (DeprecatedApiInUse on DeprecatedAPIs)",
    );
    expect(allItems(result).filter((item) => item.phase === "Failed")).toHaveLength(1);
  });

  it("fails the check on a failed Fatal item, listing the warnings beside it", () => {
    const result = evaluatePrecheck(healthy(found(["DeprecatedAPIs", "InUse"], ["ClusterStatus", "Down"])));
    expect(result.phase).toBe("Failed");
    expect(result.message).toBe(
      "pre-check failed: ClusterStatus (Down on ClusterStatus); DeprecatedAPIs (InUse on DeprecatedAPIs)",
    );
  });

  it("takes the first finding of an item when the driver reports two", () => {
    const result = evaluatePrecheck(healthy(found(["UpgradePath", "First"], ["UpgradePath", "Second"])));
    expect(clusterItem(result, "UpgradePath")).toMatchObject({
      errorCodes: ["First"],
      message: "First on UpgradePath",
    });
  });

  it("ignores a finding that names no check item", () => {
    expect(evaluatePrecheck(healthy(found(["NoSuchItem", "Odd"]))).phase).toBe("Success");
  });

  it("fails every node's NodeStatus on a NodeStatus finding", () => {
    const result = evaluatePrecheck(healthy(found(["NodeStatus", "NodeNotReady"])));
    for (const uid of ["uid-1", "uid-2", "uid-3"]) {
      expect(nodeItem(result, uid)).toMatchObject({ phase: "Failed", errorCodes: ["NodeNotReady"] });
    }
  });

  it("ends the whole check in Error when the driver could not inspect the cluster", () => {
    const failure = { code: "CheckerCrashed", message: "the checker crashed", retryable: false };
    const result = evaluatePrecheck(healthy({ inspection: { ok: false, failure } }));
    expect(result).toEqual({
      phase: "Error",
      message: "pre-check could not run: CheckerCrashed: the checker crashed",
      clusterCheckStatus: {
        phase: "Failed",
        itemsStatus: [
          {
            name: "PreCheckExecution",
            kind: "Exception",
            group: "ExecuteException",
            level: "Fatal",
            phase: "Failed",
            message: "the checker crashed",
            errorCodes: ["CheckerCrashed"],
          },
        ],
      },
      addonCheckStatus: { phase: "Success", itemsStatus: [] },
      nodeCheckStatus: { phase: "Success", nodeStageStatus: [] },
    });
  });
});

describe("evaluatePrecheck: skippedCheckItemList", () => {
  const troubled = () => {
    const base = healthy({
      deprecatedApis: [{ url: "/old", userAgent: "u", removedIn: "v1.25" }],
      addons: [{ name: "coredns", version: "1.20.0" }],
    });
    return {
      ...base,
      cluster: { ...base.cluster, hasActiveUpgrade: true },
      nodes: base.nodes.map((node) => ({ ...node, status: "Abnormal" })),
    };
  };

  it("shows a skipped item passed at level Info, saying what it found", () => {
    const result = evaluatePrecheck({ ...troubled(), skipped: [{ name: "DeprecatedAPIs" }] });
    expect(clusterItem(result, "DeprecatedAPIs")).toEqual({
      name: "DeprecatedAPIs",
      kind: "Risk",
      group: "LimitCheck",
      level: "Info",
      phase: "Success",
      message: "skipped (skippedCheckItemList); it found: 1 API(s) removed in v1.29.15-r50 are still called: /old",
      riskSource: { deprecatedAPIRisks: [{ url: "/old", userAgent: "u" }] },
    });
    expect(clusterItem(result, "ClusterStatus").phase).toBe("Failed");
  });

  it("says only that it skipped an item that would have passed", () => {
    const item = clusterItem(evaluatePrecheck(healthy({ skipped: [{ name: "UpgradePath" }] })), "UpgradePath");
    expect(item).toMatchObject({ level: "Info", phase: "Success", message: "skipped (skippedCheckItemList)" });
  });

  it("skips an item the driver failed, showing its message and no error code", () => {
    const inspection = {
      ok: true,
      failedItems: [{ item: "ClusterStatus", code: "Injected", message: "injected" }],
    } as const;
    const result = evaluatePrecheck(healthy({ inspection, skipped: [{ name: "ClusterStatus" }] }));
    expect(clusterItem(result, "ClusterStatus")).toEqual({
      name: "ClusterStatus",
      kind: "Exception",
      group: "MasterCheck",
      level: "Info",
      phase: "Success",
      message: "skipped (skippedCheckItemList); it found: injected",
    });
    expect(result.phase).toBe("Success");
  });

  it("skips every item with an entry that has no name, and then the check passes", () => {
    const result = evaluatePrecheck({ ...troubled(), skipped: [{}] });
    expect(result.phase).toBe("Success");
    expect(result.message).toBeNull();
    expect(allItems(result).every((item) => item.phase === "Success" && item.level === "Info")).toBe(true);
    expect(allItems(result)).toHaveLength(8);
  });

  it("skips only the selected nodes' items with a node.uid selector; the others are evaluated and fail", () => {
    const selector = { key: "node.uid", operator: "In", values: ["uid-2"] };
    const result = evaluatePrecheck({ ...troubled(), skipped: [{ name: "NodeStatus", resourceSelector: selector }] });
    expect(nodeItem(result, "uid-2")).toMatchObject({ phase: "Success", level: "Info" });
    expect(nodeItem(result, "uid-2").message).toBe("skipped (skippedCheckItemList); it found: the node is Abnormal");
    for (const uid of ["uid-1", "uid-3"]) {
      expect(nodeItem(result, uid)).toMatchObject({ phase: "Failed", level: "Fatal", message: "the node is Abnormal" });
    }
    expect(result.nodeCheckStatus.phase).toBe("Failed");
    expect(result.message).toContain("NodeStatus on n1");
    expect(result.message).not.toContain("NodeStatus on n2");
  });

  it("applies a node selector to node items only, also in an entry without a name", () => {
    const selector = { key: "node.uid", operator: "In", values: ["uid-1", "uid-3"] };
    const result = evaluatePrecheck({ ...troubled(), skipped: [{ resourceSelector: selector }] });
    expect(["uid-1", "uid-2", "uid-3"].map((uid) => nodeItem(result, uid).phase)).toEqual([
      "Success",
      "Failed",
      "Success",
    ]);
    expect(clusterItem(result, "ClusterStatus").phase).toBe("Failed");
    expect(clusterItem(result, "DeprecatedAPIs").phase).toBe("Failed");
    expect(result.addonCheckStatus.phase).toBe("Failed");
    const named = evaluatePrecheck({ ...troubled(), skipped: [{ name: "ClusterStatus", resourceSelector: selector }] });
    expect(clusterItem(named, "ClusterStatus").phase).toBe("Failed");
  });

  it("skips nothing with a node selector without values, or with an entry naming another item", () => {
    const selector = { key: "node.uid", operator: "In" };
    const result = evaluatePrecheck({
      ...troubled(),
      skipped: [{ name: "NodeStatus", resourceSelector: selector }, { name: "UpgradePath" }],
    });
    expect(["uid-1", "uid-2", "uid-3"].map((uid) => nodeItem(result, uid).phase)).toEqual([
      "Failed",
      "Failed",
      "Failed",
    ]);
  });
});

describe("evaluatePostcheck", () => {
  const upgraded = {
    cluster: { version: TO, phase: "Available", hasActiveUpgrade: false },
    targetVersion: TO,
    nodes: [
      { name: "n1", status: "Active", version: TO },
      { name: "n2", status: "Active", version: TO },
    ],
  };

  it("succeeds when the cluster and every node run the target, Available and Active", () => {
    expect(evaluatePostcheck(upgraded)).toEqual({ phase: "Success", message: null });
    expect(evaluatePostcheck({ ...upgraded, nodes: [] })).toEqual({ phase: "Success", message: null });
  });

  it("fails naming every problem: version, phase, unfinished task, and each node off target or not Active", () => {
    const result = evaluatePostcheck({
      cluster: { version: FROM, phase: "Upgrading", hasActiveUpgrade: true },
      targetVersion: TO,
      nodes: [
        { name: "n1", status: "Active", version: FROM },
        { name: "n2", status: "Abnormal", version: TO },
        { name: "n3", status: "Active", version: TO },
      ],
    });
    expect(result).toEqual({
      phase: "Failed",
      message:
        `post-check failed: the cluster runs ${FROM}, not ${TO}; the cluster is Upgrading, not Available; ` +
        `the cluster has an unfinished upgrade task; node n1 is Active at ${FROM}; node n2 is Abnormal at ${TO}`,
    });
  });

  it.each([
    [{ version: FROM }, `the cluster runs ${FROM}, not ${TO}`],
    [{ phase: "Unavailable" }, "the cluster is Unavailable, not Available"],
    [{ hasActiveUpgrade: true }, "the cluster has an unfinished upgrade task"],
  ])("fails on one problem alone: %j", (change, problem) => {
    expect(evaluatePostcheck({ ...upgraded, cluster: { ...upgraded.cluster, ...change } })).toEqual({
      phase: "Failed",
      message: `post-check failed: ${problem}`,
    });
  });
});
