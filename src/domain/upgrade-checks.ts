import { kubeletSkewLimit, parseReportedVersion } from "./kubernetes-nodes.js";
import type { StepFailure } from "./upgrade-plan.js";
import { checkUpgradePath, compareVersions, parseVersion } from "./versions.js";

/** Phases of a pre-check task (`PrecheckStatus.phase`). */
export const PRECHECK_PHASES = ["Init", "Running", "Success", "Failed", "Error"] as const;
export type PrecheckPhase = (typeof PRECHECK_PHASES)[number];

export const CHECK_ITEM_KINDS = ["Exception", "Risk"] as const;
export const CHECK_ITEM_GROUPS = ["LimitCheck", "MasterCheck", "NodeCheck", "AddonCheck", "ExecuteException"] as const;
export const CHECK_ITEM_LEVELS = ["Info", "Warning", "Fatal"] as const;
export const CHECK_PHASES = ["Init", "Running", "Success", "Failed"] as const;

type ItemKind = (typeof CHECK_ITEM_KINDS)[number];
type ItemGroup = (typeof CHECK_ITEM_GROUPS)[number];
type ItemLevel = (typeof CHECK_ITEM_LEVELS)[number];

export interface RiskSource {
  readonly deprecatedAPIRisks?: { url: string; userAgent: string }[];
  readonly nodeRisks?: { NodeID: string }[];
  readonly addonRisks?: { addonTemplateName: string; alias: string }[];
}

/** One check item's result, in CCE's `PreCheckItemStatus` shape. */
export interface CheckItemStatus {
  readonly name: string;
  readonly kind: ItemKind;
  readonly group: ItemGroup;
  readonly level: ItemLevel;
  readonly phase: "Success" | "Failed";
  readonly message: string;
  readonly riskSource?: RiskSource;
  readonly errorCodes?: string[];
}

export interface NodeStageStatus {
  readonly nodeInfo: { uid: string; name: string; status: string; nodeType: "node" };
  readonly itemsStatus: CheckItemStatus[];
}

/** A pre-check item the cluster itself failed, by its name in `CHECK_ITEMS`, as the cluster's driver reports it. */
export interface FailedCheckItem {
  readonly item: string;
  readonly code: string;
  readonly message: string;
}

/**
 * What a driver read of the cluster itself (the Kubernetes API): it replaces the service's inventory for nodes and
 * deprecated APIs, and adds the items only a real cluster can answer.
 */
export interface ObservedCluster {
  readonly nodes: PrecheckInput["nodes"];
  readonly deprecatedApis: PrecheckInput["deprecatedApis"];
  /** Each node's kubelet version as it reports it. */
  readonly kubelets: readonly { readonly id: string; readonly name: string; readonly version: string }[];
  /** PodDisruptionBudgets that allow no disruption now: a drain would wait on them. */
  readonly blockingBudgets: readonly { readonly namespace: string; readonly name: string }[];
}

/** What the cluster's driver found, or why it could not say (the pre-check then ends `Error`). */
export type ClusterInspection =
  | { readonly ok: true; readonly failedItems: readonly FailedCheckItem[]; readonly observed?: ObservedCluster }
  | { readonly ok: false; readonly failure: StepFailure };

/** A finished pre-check: its phase, a message when it did not succeed, and every item by group. */
export interface PrecheckResult {
  readonly phase: "Success" | "Failed" | "Error";
  readonly message: string | null;
  readonly clusterCheckStatus: { phase: "Success" | "Failed"; itemsStatus: CheckItemStatus[] };
  readonly addonCheckStatus: { phase: "Success" | "Failed"; itemsStatus: CheckItemStatus[] };
  readonly nodeCheckStatus: { phase: "Success" | "Failed"; nodeStageStatus: NodeStageStatus[] };
}

/** A `skippedCheckItemList` entry: no name skips every item; a node selector limits the skip to those nodes. */
export interface SkippedCheckItem {
  readonly name?: string;
  readonly resourceSelector?: { readonly key: string; readonly values?: readonly string[]; readonly operator: string };
}

/** The cluster as the service's inventory and the cluster's driver see it. */
export interface PrecheckInput {
  readonly cluster: { readonly version: string; readonly phase: string; readonly hasActiveUpgrade: boolean };
  readonly targetVersion: string;
  readonly nodes: readonly {
    readonly id: string;
    readonly name: string;
    readonly poolId: string;
    readonly status: string;
    readonly version: string;
  }[];
  readonly addons: readonly { readonly name: string; readonly version: string }[];
  readonly deprecatedApis: readonly {
    readonly url: string;
    readonly userAgent: string;
    readonly removedIn: string | null;
  }[];
  readonly inspection: ClusterInspection;
  readonly skipped: readonly SkippedCheckItem[];
}

interface ItemDefinition {
  readonly kind: ItemKind;
  readonly group: ItemGroup;
  readonly level: ItemLevel;
}

/** The check items, by the name drivers report, fault rules (`target`) and `skippedCheckItemList` use. */
export const CHECK_ITEMS = {
  UpgradePath: { kind: "Exception", group: "LimitCheck", level: "Fatal" },
  ClusterStatus: { kind: "Exception", group: "MasterCheck", level: "Fatal" },
  NodePools: { kind: "Exception", group: "LimitCheck", level: "Fatal" },
  DeprecatedAPIs: { kind: "Risk", group: "LimitCheck", level: "Warning" },
  AddonCompatibility: { kind: "Risk", group: "AddonCheck", level: "Warning" },
  NodeStatus: { kind: "Exception", group: "NodeCheck", level: "Fatal" },
  DisruptionBudgets: { kind: "Risk", group: "NodeCheck", level: "Warning" },
  KubeletVersionSkew: { kind: "Exception", group: "NodeCheck", level: "Fatal" },
} as const satisfies Record<string, ItemDefinition>;
export type CheckItemName = keyof typeof CHECK_ITEMS;

/** The item a failed inspection fails: the check itself could not run (phase `Error`). */
const EXECUTION_ITEM = { kind: "Exception", group: "ExecuteException", level: "Fatal" } as const;

/** What one rule found. */
interface Finding {
  readonly passed: boolean;
  readonly message: string;
  readonly riskSource?: RiskSource;
}

/** Add-ons versioned `1.N.x` with N at least this follow the Kubernetes minor they were built for (coredns 1.28.4). */
const KUBERNETES_TRACKING_MIN_MINOR = 17;
/** Such an add-on still works on a cluster this many minors newer than the one it was built for. */
const ADDON_MINOR_LAG = 2;

/**
 * Evaluates the pre-upgrade check against the cluster: upgrade path, cluster health, node pools, deprecated APIs in
 * use, add-on compatibility with the target, and each node's health. An item the driver found failing fails; an
 * inspection that could not run makes the whole check end in `Error`. A failed `Fatal` item fails the check; failed
 * `Warning` items (risks) are listed in its message but let it pass, as CCE lets a user go on past risks. Skipped
 * items are reported as passed, with what they would have said.
 */
export function evaluatePrecheck(given: PrecheckInput): PrecheckResult {
  if (!given.inspection.ok) return precheckNotRun(given.inspection.failure);
  const { failedItems, observed } = given.inspection;
  const input = observed ? { ...given, nodes: observed.nodes, deprecatedApis: observed.deprecatedApis } : given;
  const judge = (name: CheckItemName, finding: Finding, nodeId?: string) =>
    finalizeItem(name, finding, failedItems, input.skipped, nodeId);

  const clusterItems = [
    judge("UpgradePath", upgradePathFinding(input)),
    judge("ClusterStatus", clusterStatusFinding(input)),
    judge("NodePools", nodePoolsFinding(input)),
    judge("DeprecatedAPIs", deprecatedApisFinding(input)),
    ...(observed
      ? [
          judge("DisruptionBudgets", budgetsFinding(observed)),
          judge("KubeletVersionSkew", kubeletSkewFinding(observed, input.targetVersion)),
        ]
      : []),
  ];
  const addonItems = [judge("AddonCompatibility", addonFinding(input))];
  const nodeStages = input.nodes.map((node) => ({
    nodeInfo: { uid: node.id, name: node.name, status: node.status, nodeType: "node" as const },
    itemsStatus: [judge("NodeStatus", nodeStatusFinding(node), node.id)],
  }));

  const failed = [
    ...clusterItems.map((item) => ({ item, where: "" })),
    ...addonItems.map((item) => ({ item, where: "" })),
    ...nodeStages.flatMap((stage) => stage.itemsStatus.map((item) => ({ item, where: ` on ${stage.nodeInfo.name}` }))),
  ].filter(({ item }) => item.phase === "Failed");
  const blocking = failed.some(({ item }) => item.level === "Fatal");
  const listed = failed.map(({ item, where }) => `${item.name}${where} (${item.message})`).join("; ");
  return {
    phase: blocking ? "Failed" : "Success",
    message:
      failed.length === 0 ? null : `${blocking ? "pre-check failed" : "pre-check passed with warnings"}: ${listed}`,
    clusterCheckStatus: { phase: groupPhase(clusterItems), itemsStatus: clusterItems },
    addonCheckStatus: { phase: groupPhase(addonItems), itemsStatus: addonItems },
    nodeCheckStatus: { phase: groupPhase(nodeStages.flatMap((s) => s.itemsStatus)), nodeStageStatus: nodeStages },
  };
}

/** The result of a pre-check that could not run: phase `Error`, with the reason as its one item. */
export function precheckNotRun(failure: Omit<StepFailure, "retryable">): PrecheckResult {
  const item: CheckItemStatus = {
    name: "PreCheckExecution",
    ...EXECUTION_ITEM,
    phase: "Failed",
    message: failure.message,
    errorCodes: [failure.code],
  };
  return {
    phase: "Error",
    message: `pre-check could not run: ${failure.code}: ${failure.message}`,
    clusterCheckStatus: { phase: "Failed", itemsStatus: [item] },
    addonCheckStatus: { phase: "Success", itemsStatus: [] },
    nodeCheckStatus: { phase: "Success", nodeStageStatus: [] },
  };
}

function groupPhase(items: readonly CheckItemStatus[]): "Success" | "Failed" {
  return items.some((item) => item.phase === "Failed") ? "Failed" : "Success";
}

function finalizeItem(
  name: CheckItemName,
  finding: Finding,
  failedItems: readonly FailedCheckItem[],
  skipped: readonly SkippedCheckItem[],
  nodeId: string | undefined,
): CheckItemStatus {
  const found = failedItems.find((f) => f.item === name);
  const failed = found !== undefined || !finding.passed;
  const message = found ? found.message : finding.message;
  const base = { name, ...CHECK_ITEMS[name], ...(finding.riskSource && { riskSource: finding.riskSource }) };
  if (isSkipped(name, nodeId, skipped)) {
    const note = failed ? `skipped (skippedCheckItemList); it found: ${message}` : "skipped (skippedCheckItemList)";
    return { ...base, level: "Info", phase: "Success", message: note };
  }
  return { ...base, phase: failed ? "Failed" : "Success", message, ...(found && { errorCodes: [found.code] }) };
}

/** Whether the user asked to skip an item; a resource selector (`node.uid In [...]`) applies to node items only. */
function isSkipped(name: string, nodeId: string | undefined, skipped: readonly SkippedCheckItem[]): boolean {
  return skipped.some((entry) => {
    if (entry.name !== undefined && entry.name !== name) return false;
    if (!entry.resourceSelector) return true;
    return nodeId !== undefined && (entry.resourceSelector.values ?? []).includes(nodeId);
  });
}

function upgradePathFinding(input: PrecheckInput): Finding {
  const path = checkUpgradePath(input.cluster.version, input.targetVersion);
  if (path.ok) return { passed: true, message: `${input.cluster.version} may be upgraded to ${input.targetVersion}` };
  const reasons = {
    unknown_current: `the cluster's version ${input.cluster.version} is not in the version catalogue`,
    unknown_target: `${input.targetVersion} is not a supported CCE version`,
    not_higher: `${input.targetVersion} is not higher than the cluster's version ${input.cluster.version}`,
    no_path: `there is no upgrade path from ${input.cluster.version} to ${input.targetVersion}`,
  };
  return { passed: false, message: reasons[path.reason] };
}

function clusterStatusFinding(input: PrecheckInput): Finding {
  const { phase, hasActiveUpgrade } = input.cluster;
  if (phase !== "Available") return { passed: false, message: `the cluster is ${phase}, not Available` };
  if (hasActiveUpgrade) {
    return { passed: false, message: "the cluster has an unfinished upgrade task (retry or finish it first)" };
  }
  return { passed: true, message: "the cluster is Available" };
}

/** Every pool's nodes run the cluster's version: a pool left half-upgraded must be repaired first. */
function nodePoolsFinding(input: PrecheckInput): Finding {
  const skewed = input.nodes.filter((node) => node.version !== input.cluster.version);
  if (skewed.length === 0) return { passed: true, message: "every node pool runs the cluster's version" };
  const pools = [...new Set(skewed.map((node) => node.poolId))].join(", ");
  return {
    passed: false,
    message: `node pools ${pools} have ${skewed.length} node(s) on a version other than ${input.cluster.version}`,
    riskSource: { nodeRisks: skewed.map((node) => ({ NodeID: node.id })) },
  };
}

function deprecatedApisFinding(input: PrecheckInput): Finding {
  const target = parseVersion(input.targetVersion);
  const removed = input.deprecatedApis.filter((api) => {
    const removedIn = api.removedIn === null ? undefined : parseVersion(api.removedIn);
    return removedIn === undefined || (target !== undefined && compareVersions(target, removedIn) >= 0);
  });
  if (removed.length === 0) return { passed: true, message: `no API removed in ${input.targetVersion} is in use` };
  return {
    passed: false,
    message: `${removed.length} API(s) removed in ${input.targetVersion} are still called: ${removed.map((api) => api.url).join(", ")}`,
    riskSource: { deprecatedAPIRisks: removed.map((api) => ({ url: api.url, userAgent: api.userAgent })) },
  };
}

function addonFinding(input: PrecheckInput): Finding {
  const target = parseVersion(input.targetVersion);
  const outdated = input.addons.filter((addon) => target !== undefined && !addonSupports(addon.version, target.minor));
  if (outdated.length === 0) return { passed: true, message: `every add-on supports ${input.targetVersion}` };
  return {
    passed: false,
    message: `upgrade ${outdated.map((a) => `${a.name} ${a.version}`).join(", ")} along with the cluster: too old for ${input.targetVersion}`,
    riskSource: { addonRisks: outdated.map((a) => ({ addonTemplateName: a.name, alias: a.name })) },
  };
}

/** A Kubernetes-tracking add-on (`1.N.x`, N ≥ 17) supports clusters up to two minors newer; others any version. */
export function addonSupports(addonVersion: string, targetMinor: number): boolean {
  const match = /^(\d+)\.(\d+)/.exec(addonVersion);
  if (!match) return true;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major !== 1 || minor < KUBERNETES_TRACKING_MIN_MINOR) return true;
  return targetMinor - minor <= ADDON_MINOR_LAG;
}

function budgetsFinding(observed: ObservedCluster): Finding {
  const names = observed.blockingBudgets.map((budget) => `${budget.namespace}/${budget.name}`);
  if (names.length === 0) return { passed: true, message: "every PodDisruptionBudget allows a disruption" };
  return {
    passed: false,
    message: `PodDisruptionBudgets allowing no disruption would hold up a drain: ${names.join(", ")}`,
  };
}

/** Kubelets further behind the target than the skew policy allows would be unsupported under the new API server. */
function kubeletSkewFinding(observed: ObservedCluster, targetVersion: string): Finding {
  const target = parseVersion(targetVersion);
  if (!target) return { passed: true, message: "no kubelet version to compare" };
  const limit = kubeletSkewLimit(target.minor);
  const behind = observed.kubelets.filter((kubelet) => {
    const reported = parseReportedVersion(kubelet.version);
    return reported === undefined || reported.major !== target.major || target.minor - reported.minor > limit;
  });
  if (behind.length === 0) {
    return { passed: true, message: `every kubelet is within ${limit} minor versions of ${targetVersion}` };
  }
  return {
    passed: false,
    message: `kubelets more than ${limit} minor versions behind ${targetVersion}: ${behind.map((k) => `${k.name} ${k.version}`).join(", ")}`,
    riskSource: { nodeRisks: behind.map((kubelet) => ({ NodeID: kubelet.id })) },
  };
}

function nodeStatusFinding(node: PrecheckInput["nodes"][number]): Finding {
  if (node.status === "Active") return { passed: true, message: "the node is Active" };
  return { passed: false, message: `the node is ${node.status}`, riskSource: { nodeRisks: [{ NodeID: node.id }] } };
}

/** The post-upgrade confirmation: the cluster runs the target, is Available with no unfinished upgrade, nodes too. */
export function evaluatePostcheck(input: {
  readonly cluster: { readonly version: string; readonly phase: string; readonly hasActiveUpgrade: boolean };
  readonly targetVersion: string;
  readonly nodes: readonly { readonly name: string; readonly status: string; readonly version: string }[];
}): { phase: "Success" | "Failed"; message: string | null } {
  const { cluster, targetVersion } = input;
  const problems = [
    cluster.version !== targetVersion && `the cluster runs ${cluster.version}, not ${targetVersion}`,
    cluster.phase !== "Available" && `the cluster is ${cluster.phase}, not Available`,
    cluster.hasActiveUpgrade && "the cluster has an unfinished upgrade task",
    ...input.nodes
      .filter((node) => node.status !== "Active" || node.version !== targetVersion)
      .map((node) => `node ${node.name} is ${node.status} at ${node.version}`),
  ].filter((problem): problem is string => typeof problem === "string");
  return problems.length === 0
    ? { phase: "Success", message: null }
    : { phase: "Failed", message: `post-check failed: ${problems.join("; ")}` };
}
