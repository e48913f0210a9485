import type { Generated } from "kysely";
import type { PrecheckPhase } from "../domain/upgrade-checks.js";
import type { UpgradeTaskPhase } from "../domain/upgrade-task.js";

/** Instants are integers: microseconds since the Unix epoch (UTC); they are formatted only at the API edge. */
type Micros = number;

export interface ProjectsTable {
  id: string;
  name: string;
  created_at: Micros;
}

export interface ApiTokensTable {
  /** Hex SHA-256 of the token: the token itself is never stored. */
  token_sha256: string;
  project_id: string;
  /** Null for seed tokens, which do not expire. */
  expires_at: Micros | null;
  created_at: Micros;
}

export interface AccessKeysTable {
  access_key: string;
  project_id: string;
  /** Kept in the clear: verifying an HMAC signature needs the secret itself. */
  secret_key: string;
  security_token: string | null;
  created_at: Micros;
}

export interface ClustersTable {
  id: string;
  project_id: string;
  name: string;
  version: string;
  platform_version: string;
  phase: string;
  flavor: string;
  cluster_type: string;
  category: string;
  description: string;
  /** Set while an upgrade has moved the control plane ahead of `version`. */
  control_plane_version: string | null;
  /** Why the cluster is not simply `Available`, e.g. the last upgrade's failure. */
  status_reason: string | null;
  created_at: Micros;
  updated_at: Micros;
  /** JSON of what CreateCluster accepted beyond the columns (`ClusterCreationSpec`); null for a seeded cluster. */
  spec: string | null;
  /** The cluster's latest lifecycle job (`status.jobID`). */
  job_id: string | null;
}

export interface NodePoolsTable {
  cluster_id: string;
  id: string;
  name: string;
  created_at: Micros;
  /** JSON of what CreateNodePool accepted (`NodePoolCreationSpec`), scaled by UpdateNodePool; null when seeded. */
  spec: string | null;
  job_id: string | null;
  /** CCE's `status.phase`: empty when the pool is settled, `Synchronizing` while nodes come or go, `Deleting`. */
  phase: Generated<string>;
}

export interface NodesTable {
  id: string;
  cluster_id: string;
  pool_id: string;
  name: string;
  version: string;
  status: string;
  /** JSON object of Kubernetes labels. */
  labels: string;
  created_at: Micros;
  updated_at: Micros;
  /** The lifecycle job creating or deleting the node (`status.jobID`). */
  job_id: string | null;
}

export interface AddonsTable {
  cluster_id: string;
  name: string;
  version: string;
  updated_at: Micros;
}

export interface UpgradeTasksTable {
  id: string;
  project_id: string;
  cluster_id: string;
  phase: UpgradeTaskPhase;
  from_version: string;
  target_version: string;
  target_platform_version: string;
  /** JSON of the accepted `clusterUpgradeAction`, with the resolved target version. */
  request: string;
  /** JSON of the step plan, computed when the engine first takes the task. */
  plan: string | null;
  /** Index of the plan step the task is on. */
  step_cursor: Generated<number>;
  /** Hundredths of a percent, 0..10000; never decreases. */
  progress: Generated<number>;
  failure_reason: string | null;
  /** A control the user asked for that the engine has not applied yet (`pause`). */
  requested_control: string | null;
  lease_owner: string | null;
  lease_expires_at: Micros | null;
  /** Bumped by every claim and state change: the fencing token of the lease protocol. */
  fence: Generated<number>;
  created_at: Micros;
  updated_at: Micros;
  completed_at: Micros | null;
  /**
   * JSON of the cluster's `DriverChoice` when the task was created: what its steps run on. Null in a row an older
   * replica inserted (before migration 0011): such a task runs the cluster's current choice.
   */
  driver: string | null;
}

/** An injected fault: the next `remaining` attempts of matching steps fail (or stall). */
export interface ClusterFaultsTable {
  id: string;
  cluster_id: string;
  step: string;
  /** Node or add-on name (or pre-check item); null matches any target of the step kind. */
  target: string | null;
  mode: "fail" | "stall";
  remaining: number;
  error_code: string;
  message: string;
  /** 1 when the engine may retry the step by itself. */
  retryable: number;
  stall_ms: number;
  created_at: Micros;
}

/** The simulator's record of every change it made to a cluster: one row per effect. */
/** What a target of a simulated cluster runs (a backup: that it was taken), kept by the simulator. */
export interface SimulatedTargetsTable {
  cluster_id: string;
  kind: string;
  name: string;
  version: string;
  updated_at: Micros;
}

/** The highest fencing token the simulated cluster has seen from a task's workers. */
export interface SimulatedFencesTable {
  task_id: string;
  fence: number;
}

/** One row per simulator `apply` call, whether or not it changed the simulated cluster. */
export interface SimulatorApplyLogTable {
  id: string;
  cluster_id: string;
  task_id: string;
  step_index: number;
  step_kind: string;
  target: string;
  run: number;
  attempt: number;
  /** `changed`, `unchanged` (already so), `failed` (an injected fault) or `fenced` (a worker that lost its lease). */
  outcome: string;
  from_version: string;
  to_version: string;
  at: Micros;
}

/** An IAM user who gets project-scoped tokens from `POST /v3/auth/tokens`. */
export interface IamUsersTable {
  project_id: string;
  name: string;
  /** `scrypt$<salt hex>$<key hex>`: the password itself is never stored. */
  password_hash: string;
  created_at: Micros;
}

/** Failed sign-ins of one subject (`scope` says what it is: an access key at an address, a user, an address). */
export interface AuthFailuresTable {
  scope: string;
  subject: string;
  failures: number;
  last_failure_at: Micros;
  /** When the count is forgotten: `forgetAfterMs` after its last failure. */
  expires_at: Micros;
}

/** A pre-upgrade check: moved `Init → Running → Success | Failed | Error` by the check runner at `due_at`. */
export interface PrecheckTasksTable {
  id: string;
  project_id: string;
  cluster_id: string;
  phase: PrecheckPhase;
  /** The cluster's version when the check was asked for, and the resolved target. */
  cluster_version: string;
  target_version: string;
  /** JSON of the request's `skippedCheckItemList`. */
  skipped_items: string;
  /** JSON of the finished check's item results (`PrecheckResult`). */
  result: string | null;
  message: string | null;
  /** Bumped by every transition: a runner moves a task only from the state it read. */
  fence: Generated<number>;
  /** When the runner should move the task next. */
  due_at: Micros;
  created_at: Micros;
  updated_at: Micros;
  completed_at: Micros | null;
  /** When a finished result stops counting as fresh for UpgradeCluster. */
  expires_at: Micros | null;
}

/** A control-plane backup (`master-backup`): `Init → Running → Success | Failed`. */
export interface SnapshotTasksTable {
  id: string;
  /** ID of its single `master-backup` sub-task. */
  item_id: string;
  project_id: string;
  cluster_id: string;
  phase: "Init" | "Running" | "Success" | "Failed";
  message: string | null;
  fence: Generated<number>;
  due_at: Micros;
  created_at: Micros;
  updated_at: Micros;
  completed_at: Micros | null;
}

/** A post-upgrade check; answered at once, kept for the workflow's `PostCheck` step. */
export interface PostcheckTasksTable {
  id: string;
  project_id: string;
  cluster_id: string;
  cluster_version: string;
  target_version: string;
  phase: "Success" | "Failed";
  message: string | null;
  created_at: Micros;
}

/** An upgrade workflow: its steps are derived from the cluster's real tasks, only cancellation is stored. */
export interface UpgradeWorkflowsTable {
  id: string;
  project_id: string;
  cluster_id: string;
  cluster_version: string;
  target_version: string;
  cancelled_at: Micros | null;
  created_at: Micros;
  updated_at: Micros;
}

/** A deprecated Kubernetes API a cluster's workloads still call (seed file `deprecatedAPIs`). */
export interface ClusterDeprecatedApisTable {
  cluster_id: string;
  url: string;
  user_agent: string;
  /** The release that removes it; null: every newer release. */
  removed_in: string | null;
}

/** The driver a cluster's upgrade steps run through; a cluster without a row uses the simulator. */
export interface ClusterDriversTable {
  cluster_id: string;
  /** JSON of the tenant's `DriverChoice`: the simulator or a profile's name, never a hook's settings. */
  config: string;
  updated_at: Micros;
}

/** A driver profile from the seed file's `driverProfiles`; the table is replaced from the seed at every start. */
export interface DriverProfilesTable {
  name: string;
  /** JSON of the profile (`HookDriverConfig`), secret included: never shown to a tenant. */
  config: string;
}

/** The profiles a project may choose from (seed `projects[].driverProfiles`), replaced with `driver_profiles`. */
export interface ProjectDriverProfilesTable {
  project_id: string;
  profile: string;
}

/** A project's clusters as its seed last stated them (JSON of the seed's `clusters`): what a reset restores. */
export interface ProjectSeedsTable {
  project_id: string;
  clusters: string;
  recorded_at: Micros;
}

/** A job of the cluster lifecycle (ShowJob): `Initializing → Running → Success`, moved by the cluster-job runner. */
export interface ClusterJobsTable {
  id: string;
  project_id: string;
  cluster_id: string;
  type: string;
  resource_id: string;
  resource_name: string;
  phase: "Initializing" | "Running" | "Success" | "Failed";
  reason: string | null;
  /** Bumped by every move: a runner moves a job only from the state it read. */
  fence: Generated<number>;
  due_at: Micros;
  created_at: Micros;
  updated_at: Micros;
  completed_at: Micros | null;
}

export interface Database {
  cluster_jobs: ClusterJobsTable;
  project_seeds: ProjectSeedsTable;
  cluster_drivers: ClusterDriversTable;
  driver_profiles: DriverProfilesTable;
  project_driver_profiles: ProjectDriverProfilesTable;
  precheck_tasks: PrecheckTasksTable;
  snapshot_tasks: SnapshotTasksTable;
  postcheck_tasks: PostcheckTasksTable;
  upgrade_workflows: UpgradeWorkflowsTable;
  cluster_deprecated_apis: ClusterDeprecatedApisTable;
  iam_users: IamUsersTable;
  cluster_faults: ClusterFaultsTable;
  simulated_targets: SimulatedTargetsTable;
  simulator_apply_log: SimulatorApplyLogTable;
  simulated_fences: SimulatedFencesTable;
  projects: ProjectsTable;
  api_tokens: ApiTokensTable;
  access_keys: AccessKeysTable;
  clusters: ClustersTable;
  node_pools: NodePoolsTable;
  nodes: NodesTable;
  addons: AddonsTable;
  upgrade_tasks: UpgradeTasksTable;
  auth_failures: AuthFailuresTable;
}
