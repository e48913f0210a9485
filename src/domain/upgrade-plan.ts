import type { NodePriority, NormalizedUpgradeAction } from "./upgrade-request.js";

/** What a step does to the cluster. */
export const STEP_KINDS = ["precheck", "backup", "master", "addon", "node"] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const STEP_PHASES = ["Init", "Running", "Success", "Failed"] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

/** One thing a step changes: the control plane, an add-on or a node. */
export interface PlanTarget {
  readonly name: string;
  /** Node ID, for node targets. */
  readonly id?: string;
  readonly pool?: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  phase: StepPhase;
  finishedAt: number | null;
}

/** A failure as data: the engine decides from `retryable`, never from the error's type. */
export interface StepFailure {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** One step of the plan; node steps are batches of nodes upgraded together. */
export interface PlanStep {
  readonly kind: StepKind;
  readonly name: string;
  readonly batch?: number;
  readonly weight: number;
  readonly targets: PlanTarget[];
  phase: StepPhase;
  attempts: number;
  /**
   * The attempt that began the current run of the step: absent (1) until a user `retry` starts a new run. Attempts
   * after a crash or a lost lease belong to the same run, so hooks see the same idempotency key for them.
   */
  runFromAttempt?: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: StepFailure | null;
}

export interface UpgradePlan {
  readonly steps: PlanStep[];
}

/** The cluster as the planner needs it: its pools, nodes (each with its own version and labels) and add-ons. */
export interface ClusterInventory {
  readonly version: string;
  readonly pools: readonly { readonly id: string }[];
  readonly nodes: readonly {
    readonly id: string;
    readonly name: string;
    readonly poolId: string;
    readonly version: string;
    readonly labels: Readonly<Record<string, string>>;
    /** Pods a drain would move off the node, where the cluster says (0 otherwise). */
    readonly load?: number;
  }[];
  readonly addons: readonly { readonly name: string; readonly version: string }[];
}

/** Everything a plan is computed from. */
export interface PlanningInput extends Omit<ClusterInventory, "version"> {
  readonly clusterVersion: string;
  readonly targetVersion: string;
  readonly action: NormalizedUpgradeAction;
}

const WEIGHT: Record<StepKind, number> = { precheck: 5, backup: 5, master: 20, addon: 5, node: 10 };

/**
 * Computes the ordered steps of an upgrade: the embedded pre-check (unless `isOnlyUpgrade`), the etcd backup, the
 * control plane, each requested add-on, then the nodes in batches growing 1, 2, 4, … up to `userDefinedStep`.
 */
export function planUpgrade(input: PlanningInput): UpgradePlan {
  const { action, clusterVersion, targetVersion } = input;
  const steps: PlanStep[] = [];
  const single = (kind: StepKind, name: string, from: string, to: string) =>
    newStep(kind, name, WEIGHT[kind], [{ name, fromVersion: from, toVersion: to, phase: "Init", finishedAt: null }]);
  if (!action.isOnlyUpgrade) steps.push(single("precheck", "precheck", clusterVersion, targetVersion));
  steps.push(single("backup", "etcd-backup", clusterVersion, targetVersion));
  steps.push(single("master", "control-plane", clusterVersion, targetVersion));
  for (const addon of action.addons ?? []) {
    const installed = input.addons.find((a) => a.name === addon.addonTemplateName);
    steps.push(single("addon", addon.addonTemplateName, installed?.version ?? "", addon.version));
  }
  steps.push(...planNodeBatches(input));
  return { steps };
}

function newStep(kind: StepKind, name: string, weight: number, targets: PlanTarget[], batch?: number): PlanStep {
  return {
    kind,
    name,
    ...(batch === undefined ? {} : { batch }),
    weight,
    targets,
    phase: "Init",
    attempts: 0,
    startedAt: null,
    finishedAt: null,
    error: null,
  };
}

function planNodeBatches(input: PlanningInput): PlanStep[] {
  const { userDefinedStep, scope } = input.action.strategy.inPlaceRollingUpdate;
  const pools = orderPools(input);
  const ordered = pools.map((pool) => orderNodes(input, pool));
  const groups = scope === "NodePool" ? ordered : [ordered.flat()];
  const steps: PlanStep[] = [];
  for (const group of groups) {
    for (const chunk of rampChunks(group, userDefinedStep)) {
      const batch = steps.length + 1;
      const targets = chunk.map((node) => ({
        name: node.name,
        id: node.id,
        pool: node.poolId,
        fromVersion: node.version,
        toVersion: input.targetVersion,
        phase: "Init" as const,
        finishedAt: null,
      }));
      steps.push(newStep("node", `nodes/batch-${batch}`, WEIGHT.node * chunk.length, targets, batch));
    }
  }
  return steps;
}

/** Batch sizes 1, 2, 4, … capped at `cap`. */
export function rampChunks<T>(items: readonly T[], cap: number): T[][] {
  const chunks: T[][] = [];
  let size = 1;
  for (let start = 0; start < items.length; start += size, size = Math.min(size * 2, cap)) {
    chunks.push(items.slice(start, start + Math.min(size, cap)));
  }
  return chunks;
}

/**
 * Pools by `nodePoolOrder` priority, higher first; among equals the pool with the fewest nodes first, as CCE upgrades
 * them, then the cluster's pool order.
 */
function orderPools(input: PlanningInput): string[] {
  const priority = (id: string) => input.action.nodePoolOrder?.[id] ?? 0;
  const size = (id: string) => input.nodes.filter((node) => node.poolId === id).length;
  return input.pools
    .map((pool, index) => ({ id: pool.id, index, size: size(pool.id) }))
    .sort((a, b) => priority(b.id) - priority(a.id) || a.size - b.size || a.index - b.index)
    .map((pool) => pool.id);
}

/**
 * A pool's nodes by the highest-priority `nodeOrder` selector they match (unmatched nodes last), then the
 * least-loaded first, as CCE upgrades them, then by name.
 */
function orderNodes(input: PlanningInput, poolId: string) {
  const rules = input.action.nodeOrder?.[poolId] ?? [];
  const rank = (labels: Readonly<Record<string, string>>) =>
    Math.max(-1, ...rules.filter((rule) => selectorMatches(rule.nodeSelector, labels)).map((rule) => rule.priority));
  return input.nodes
    .filter((node) => node.poolId === poolId)
    .map((node) => ({ ...node, rank: rank(node.labels) }))
    .sort((a, b) => b.rank - a.rank || (a.load ?? 0) - (b.load ?? 0) || a.name.localeCompare(b.name));
}

/** Whether a node's labels match a `NodeSelector` (operators `in`, `notin`, `exists`, `!`, `gt`, `lt`). */
export function selectorMatches(
  selector: NodePriority["nodeSelector"],
  labels: Readonly<Record<string, string>>,
): boolean {
  const value = labels[selector.key];
  const values = selector.value ?? [];
  switch (selector.operator) {
    case "in":
      return value !== undefined && values.includes(value);
    case "notin":
      return value === undefined || !values.includes(value);
    case "exists":
      return value !== undefined;
    case "!":
      return value === undefined;
    case "gt":
      return value !== undefined && Number(value) > Number(values[0]);
    case "lt":
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

/** Completed weight over total, in hundredths of a percent. */
export function planProgress(plan: UpgradePlan): number {
  const total = plan.steps.reduce((sum, step) => sum + step.weight, 0);
  const done = plan.steps.filter((step) => step.phase === "Success").reduce((sum, step) => sum + step.weight, 0);
  return total === 0 ? 10_000 : Math.floor((done * 10_000) / total);
}

/** Readies a failed plan for `retry`: the failed step runs again from the start, its done targets stay done. */
export function resetFailedStep(plan: UpgradePlan, cursor: number): UpgradePlan {
  return {
    steps: plan.steps.map((step, index) =>
      index === cursor && step.phase === "Failed"
        ? {
            ...step,
            phase: "Init",
            finishedAt: null,
            error: null,
            runFromAttempt: step.attempts + 1,
            targets: step.targets.map((t) => (t.phase === "Failed" ? { ...t, phase: "Init" } : t)),
          }
        : step,
    ),
  };
}
