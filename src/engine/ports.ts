import type { ClusterInspection, PrecheckInput } from "../domain/upgrade-checks.js";
import type {
  ClusterInventory,
  PlanStep,
  PlanTarget,
  StepFailure,
  StepKind,
  UpgradePlan,
} from "../domain/upgrade-plan.js";
import type { NormalizedUpgradeAction } from "../domain/upgrade-request.js";
import type { UpgradeTaskPhase } from "../domain/upgrade-task.js";

/** A worker's hold on a task: every state-changing write names it and fails once another worker holds the task. */
export interface Lease {
  readonly taskId: string;
  readonly owner: string;
  /** The fencing token: the task's `fence` as of this worker's last write. */
  fence: number;
}

/** A task as the engine works on it. */
export interface ClaimedTask {
  readonly id: string;
  readonly projectId: string;
  readonly clusterId: string;
  readonly phase: UpgradeTaskPhase;
  readonly fromVersion: string;
  readonly targetVersion: string;
  readonly targetPlatformVersion: string;
  readonly action: NormalizedUpgradeAction;
  readonly plan: UpgradePlan | null;
  readonly cursor: number;
  readonly pauseRequested: boolean;
  readonly lease: Lease;
}

/** What one commit changes; the cluster fields change in the same transaction as the task. */
export interface TaskChange {
  readonly phase: UpgradeTaskPhase;
  readonly plan: UpgradePlan;
  readonly cursor: number;
  readonly progress: number;
  readonly failureReason?: string | null;
  readonly completedAt?: number | null;
  /** Turn a pending pause request into the `Pause` phase (only at a step boundary). */
  readonly honourPause: boolean;
  /** The plan to store instead when the task pauses at this commit (the next step not started); built only then. */
  readonly planIfPaused?: () => UpgradePlan;
  /** Targets the steps since the last commit reached, recorded in the same transaction. */
  readonly reached?: readonly ReachedTarget[];
  readonly cluster?: {
    readonly phase: string;
    readonly version?: string;
    readonly platformVersion?: string;
    readonly statusReason: string | null;
  };
}

/** The outcome of a commit: the phase the task is in now, or `lost` when the lease is gone. */
export type CommitOutcome = { readonly phase: UpgradeTaskPhase } | "lost";

/** The engine's view of the database. */
export interface EngineStore {
  /**
   * Takes up to `limit` runnable tasks (`Init`/`Queuing`/`Running`, lease free or expired), oldest first, in one
   * statement. No project gets more than `projectSlots` tasks held by `owner` while another project has a task waiting
   * within its own share; without other such work a project may take every slot (absent: no per-project limit).
   */
  claimRunnableTasks(
    owner: string,
    nowMicros: number,
    leaseTtlMicros: number,
    limit: number,
    projectSlots?: number,
  ): Promise<ClaimedTask[]>;
  /** Extends the lease; false when it was lost. */
  renewLease(lease: Lease, expiresAtMicros: number): Promise<boolean>;
  /** Gives the task up without changing its phase, so another worker resumes it. */
  releaseLease(lease: Lease): Promise<void>;
  /** Applies a change guarded by the lease, bumping the fence. */
  commit(lease: Lease, change: TaskChange, nowMicros: number): Promise<CommitOutcome>;
  /** The cluster's pools, nodes and add-ons, for planning. */
  clusterInventory(clusterId: string): Promise<ClusterInventory>;
  /** What the pre-check rules read of the cluster: its nodes with their status, add-ons and deprecated APIs in use. */
  checkInventory(clusterId: string): Promise<Pick<PrecheckInput, "nodes" | "addons" | "deprecatedApis">>;
}

/** What a step does to one target, as the driver reports it: what it reached, or a failure as data. */
export type TargetOutcome =
  | { readonly ok: true; readonly reached?: { readonly version: string } }
  | { readonly ok: false; readonly failure: StepFailure };

/** A target a step brought to a version: the engine records it in the inventory in its lease-guarded commit. */
export interface ReachedTarget {
  readonly kind: StepKind;
  /** The node's ID, the add-on's name; unused for the control plane. */
  readonly key: string;
  readonly version: string;
}

/** Everything a driver is told about the step it runs. */
export interface StepContext extends TaskOfCluster {
  readonly step: Readonly<PlanStep>;
  readonly stepIndex: number;
  readonly attempt: number;
  /**
   * The worker's fencing token for this execution (its lease's fence): a later worker of the task holds a higher one,
   * so a cluster that remembers the highest token it saw can refuse a worker that lost its lease.
   */
  readonly fence?: number;
}

/** What a step does to a cluster. Steps are idempotent: `observe` says whether a target is already done. */
export interface ClusterDriver {
  observe(context: StepContext, target: Readonly<PlanTarget>): Promise<boolean>;
  apply(context: StepContext, target: Readonly<PlanTarget>, signal: AbortSignal): Promise<TargetOutcome>;
  /**
   * Asks the cluster what a pre-check asks it; with it, an upgrade's embedded pre-check runs the standalone one's
   * rules. A driver without it runs the pre-check step as any other step (`apply`).
   */
  inspect?(
    context: StepContext,
    target: Readonly<PlanTarget>,
    request: InspectionRequest,
    signal: AbortSignal,
  ): Promise<ClusterInspection>;
  /**
   * Runs after a step succeeded and before the next starts (a soak and a health check after a node batch); a failure
   * fails the step. A driver without it goes straight on.
   */
  settle?(context: StepContext, signal: AbortSignal): Promise<StepFailure | undefined>;
  /** Each node's load by name, read from the cluster when the task is planned: a pool's least-loaded node goes first. */
  nodeLoads?(task: TaskOfCluster): Promise<ReadonlyMap<string, number>>;
}

/** Which task on which cluster. */
export interface TaskOfCluster {
  readonly taskId: string;
  readonly clusterId: string;
}

/** What a pre-check asks of the cluster beside the service's own inventory. */
export interface InspectionRequest {
  /** Whether the cluster has nodes: node items exist only then. */
  readonly hasNodes: boolean;
}

/** The driver of one cluster as pre-checks and backups use it: a backup is `apply` of a `backup` step. */
export interface ClusterCheckDriver extends ClusterDriver {
  inspect(
    context: StepContext,
    target: Readonly<PlanTarget>,
    request: InspectionRequest,
    signal: AbortSignal,
  ): Promise<ClusterInspection>;
}

/** Finds the driver a cluster uses now; pre-checks and backups are not tasks of the upgrade engine. */
export interface ClusterDriverLookup {
  forCluster(clusterId: string): Promise<ClusterCheckDriver>;
}

/** What the engine reports for monitoring. */
export interface EngineMetrics {
  /** A step's targets ran to an outcome (success or failure); `seconds` is this execution, not the whole step. */
  stepFinished(kind: string, seconds: number): void;
  /** A task was claimed while already `Running`: its previous worker died or handed it back. */
  leaseTakenOver(): void;
}
