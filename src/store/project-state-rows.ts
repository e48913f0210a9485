import type { Insertable, Selectable } from "kysely";
import { type DriverChoice, parseDriverChoice } from "../domain/driver-config.js";
import type { ClusterState } from "../domain/project-state.js";
import type { StepKind } from "../domain/upgrade-plan.js";
import type {
  AddonsTable,
  ClusterDeprecatedApisTable,
  ClusterDriversTable,
  ClusterFaultsTable,
  ClusterJobsTable,
  ClustersTable,
  NodePoolsTable,
  NodesTable,
  PostcheckTasksTable,
  PrecheckTasksTable,
  SimulatedTargetsTable,
  SimulatorApplyLogTable,
  SnapshotTasksTable,
  UpgradeTasksTable,
  UpgradeWorkflowsTable,
} from "./schema.js";

/**
 * Each table's rows as a project's state document shows them, and back: every stored column, JSON columns parsed,
 * the cluster (and project) implied by where a row sits in the document. Each pair is inverse of the other, which is
 * what makes an export restored and exported again the same document.
 */

type Row<T> = Selectable<T>;
type Doc<K extends keyof ClusterState> = ClusterState[K] extends readonly (infer E)[] ? E : ClusterState[K];
type ClusterFields = Omit<ClusterState, ClusterParts>;
type ClusterParts =
  | "driver"
  | "nodePools"
  | "nodes"
  | "addons"
  | "deprecatedApis"
  | "faults"
  | "upgradeTasks"
  | "prechecks"
  | "snapshots"
  | "postchecks"
  | "workflows"
  | "jobs"
  | "simulator";

export function clusterDoc(row: Row<ClustersTable>): ClusterFields {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    platformVersion: row.platform_version,
    phase: row.phase,
    flavor: row.flavor,
    type: row.cluster_type,
    category: row.category,
    description: row.description,
    controlPlaneVersion: row.control_plane_version,
    statusReason: row.status_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    spec: parsedSpec(row.spec),
    jobId: row.job_id,
  };
}

export function clusterRow(projectId: string, doc: ClusterFields): Insertable<ClustersTable> {
  return {
    id: doc.id,
    project_id: projectId,
    name: doc.name,
    version: doc.version,
    platform_version: doc.platformVersion,
    phase: doc.phase,
    flavor: doc.flavor,
    cluster_type: doc.type,
    category: doc.category,
    description: doc.description,
    control_plane_version: doc.controlPlaneVersion,
    status_reason: doc.statusReason,
    created_at: doc.createdAt,
    updated_at: doc.updatedAt,
    spec: specJson(doc.spec),
    job_id: doc.jobId ?? null,
  };
}

/** A creation spec column's JSON as the document shows it; null (a seeded row) stays null. */
function parsedSpec<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}

/** A document's spec as its column keeps it; a version-1 document has none, as a seeded row. */
function specJson(spec: object | null | undefined): string | null {
  return spec == null ? null : JSON.stringify(spec);
}

export const driverDoc = (row: Row<ClusterDriversTable>): NonNullable<Doc<"driver">> => ({
  choice: parseDriverChoice(row.config),
  updatedAt: row.updated_at,
});

export const driverRow = (clusterId: string, doc: NonNullable<Doc<"driver">>): Insertable<ClusterDriversTable> => ({
  cluster_id: clusterId,
  config: choiceJson(doc.choice),
  updated_at: doc.updatedAt,
});

/** The stored form of a choice: the same key order as the API writes it. */
function choiceJson(choice: { type: DriverChoice["type"]; profile?: string }): string {
  return JSON.stringify(
    choice.type === "profile" ? { type: "profile", profile: choice.profile } : { type: "simulator" },
  );
}

export const poolDoc = (row: Row<NodePoolsTable>): Doc<"nodePools"> => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  spec: parsedSpec(row.spec),
  jobId: row.job_id,
  phase: row.phase as NonNullable<Doc<"nodePools">["phase"]>,
});

export const poolRow = (clusterId: string, doc: Doc<"nodePools">): Insertable<NodePoolsTable> => ({
  cluster_id: clusterId,
  id: doc.id,
  name: doc.name,
  created_at: doc.createdAt,
  spec: specJson(doc.spec),
  job_id: doc.jobId ?? null,
  phase: doc.phase ?? "",
});

export const nodeDoc = (row: Row<NodesTable>): Doc<"nodes"> => ({
  id: row.id,
  poolId: row.pool_id,
  name: row.name,
  version: row.version,
  status: row.status,
  labels: JSON.parse(row.labels) as Record<string, string>,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  jobId: row.job_id,
});

export const nodeRow = (clusterId: string, doc: Doc<"nodes">): Insertable<NodesTable> => ({
  id: doc.id,
  cluster_id: clusterId,
  pool_id: doc.poolId,
  name: doc.name,
  version: doc.version,
  status: doc.status,
  labels: JSON.stringify(doc.labels),
  created_at: doc.createdAt,
  updated_at: doc.updatedAt,
  job_id: doc.jobId ?? null,
});

export const addonDoc = (row: Row<AddonsTable>): Doc<"addons"> => ({
  name: row.name,
  version: row.version,
  updatedAt: row.updated_at,
});

export const addonRow = (clusterId: string, doc: Doc<"addons">): Insertable<AddonsTable> => ({
  cluster_id: clusterId,
  name: doc.name,
  version: doc.version,
  updated_at: doc.updatedAt,
});

export const deprecatedApiDoc = (row: Row<ClusterDeprecatedApisTable>): Doc<"deprecatedApis"> => ({
  url: row.url,
  userAgent: row.user_agent,
  removedIn: row.removed_in,
});

export const deprecatedApiRow = (clusterId: string, doc: Doc<"deprecatedApis">): ClusterDeprecatedApisTable => ({
  cluster_id: clusterId,
  url: doc.url,
  user_agent: doc.userAgent,
  removed_in: doc.removedIn,
});

export const faultDoc = (row: Row<ClusterFaultsTable>): Doc<"faults"> => ({
  id: row.id,
  step: row.step as StepKind,
  target: row.target,
  mode: row.mode,
  remaining: row.remaining,
  error: row.error_code,
  message: row.message,
  retryable: row.retryable === 1,
  stallMs: row.stall_ms,
  createdAt: row.created_at,
});

export const faultRow = (clusterId: string, doc: Doc<"faults">): ClusterFaultsTable => ({
  id: doc.id,
  cluster_id: clusterId,
  step: doc.step,
  target: doc.target,
  mode: doc.mode,
  remaining: doc.remaining,
  error_code: doc.error,
  message: doc.message,
  retryable: doc.retryable ? 1 : 0,
  stall_ms: doc.stallMs,
  created_at: doc.createdAt,
});

export const upgradeTaskDoc = (row: Row<UpgradeTasksTable>): Doc<"upgradeTasks"> => ({
  id: row.id,
  phase: row.phase,
  fromVersion: row.from_version,
  targetVersion: row.target_version,
  targetPlatformVersion: row.target_platform_version,
  request: JSON.parse(row.request),
  plan: row.plan === null ? null : JSON.parse(row.plan),
  stepCursor: row.step_cursor,
  progress: row.progress,
  failureReason: row.failure_reason,
  requestedControl: row.requested_control as "pause" | null,
  driver: row.driver === null ? null : parseDriverChoice(row.driver),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  completedAt: row.completed_at,
});

/** A restored task's lease is free, under a fencing token newer than any its earlier workers held. */
export const upgradeTaskRow = (
  projectId: string,
  clusterId: string,
  doc: Doc<"upgradeTasks">,
  fence: number,
): Insertable<UpgradeTasksTable> => ({
  id: doc.id,
  project_id: projectId,
  cluster_id: clusterId,
  phase: doc.phase,
  from_version: doc.fromVersion,
  target_version: doc.targetVersion,
  target_platform_version: doc.targetPlatformVersion,
  request: JSON.stringify(doc.request),
  plan: doc.plan === null ? null : JSON.stringify(doc.plan),
  step_cursor: doc.stepCursor,
  progress: doc.progress,
  failure_reason: doc.failureReason,
  requested_control: doc.requestedControl,
  lease_owner: null,
  lease_expires_at: null,
  fence,
  created_at: doc.createdAt,
  updated_at: doc.updatedAt,
  completed_at: doc.completedAt,
  driver: doc.driver === null ? null : choiceJson(doc.driver),
});

/** The columns a pre-check and a backup share: the runner's moves and their times. */
type CheckMovesRow = Pick<
  Row<SnapshotTasksTable>,
  "message" | "fence" | "due_at" | "created_at" | "updated_at" | "completed_at"
>;
type CheckMovesDoc = Pick<Doc<"snapshots">, "message" | "fence" | "dueAt" | "createdAt" | "updatedAt" | "completedAt">;

const checkMovesDoc = (row: CheckMovesRow): CheckMovesDoc => ({
  message: row.message,
  fence: row.fence,
  dueAt: row.due_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  completedAt: row.completed_at,
});

const checkMovesRow = (doc: CheckMovesDoc): CheckMovesRow => ({
  message: doc.message,
  fence: doc.fence,
  due_at: doc.dueAt,
  created_at: doc.createdAt,
  updated_at: doc.updatedAt,
  completed_at: doc.completedAt,
});

export const precheckDoc = (row: Row<PrecheckTasksTable>): Doc<"prechecks"> => ({
  id: row.id,
  phase: row.phase,
  clusterVersion: row.cluster_version,
  targetVersion: row.target_version,
  skippedItems: JSON.parse(row.skipped_items),
  result: row.result === null ? null : JSON.parse(row.result),
  ...checkMovesDoc(row),
  expiresAt: row.expires_at,
});

export const precheckRow = (
  projectId: string,
  clusterId: string,
  doc: Doc<"prechecks">,
): Insertable<PrecheckTasksTable> => ({
  id: doc.id,
  project_id: projectId,
  cluster_id: clusterId,
  phase: doc.phase,
  cluster_version: doc.clusterVersion,
  target_version: doc.targetVersion,
  skipped_items: JSON.stringify(doc.skippedItems),
  result: doc.result === null ? null : JSON.stringify(doc.result),
  ...checkMovesRow(doc),
  expires_at: doc.expiresAt,
});

export const snapshotDoc = (row: Row<SnapshotTasksTable>): Doc<"snapshots"> => ({
  id: row.id,
  itemId: row.item_id,
  phase: row.phase,
  ...checkMovesDoc(row),
});

export const snapshotRow = (
  projectId: string,
  clusterId: string,
  doc: Doc<"snapshots">,
): Insertable<SnapshotTasksTable> => ({
  id: doc.id,
  item_id: doc.itemId,
  project_id: projectId,
  cluster_id: clusterId,
  phase: doc.phase,
  ...checkMovesRow(doc),
});

export const postcheckDoc = (row: Row<PostcheckTasksTable>): Doc<"postchecks"> => ({
  id: row.id,
  clusterVersion: row.cluster_version,
  targetVersion: row.target_version,
  phase: row.phase,
  message: row.message,
  createdAt: row.created_at,
});

export const postcheckRow = (projectId: string, clusterId: string, doc: Doc<"postchecks">): PostcheckTasksTable => ({
  id: doc.id,
  project_id: projectId,
  cluster_id: clusterId,
  cluster_version: doc.clusterVersion,
  target_version: doc.targetVersion,
  phase: doc.phase,
  message: doc.message,
  created_at: doc.createdAt,
});

export const workflowDoc = (row: Row<UpgradeWorkflowsTable>): Doc<"workflows"> => ({
  id: row.id,
  clusterVersion: row.cluster_version,
  targetVersion: row.target_version,
  cancelledAt: row.cancelled_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const workflowRow = (projectId: string, clusterId: string, doc: Doc<"workflows">): UpgradeWorkflowsTable => ({
  id: doc.id,
  project_id: projectId,
  cluster_id: clusterId,
  cluster_version: doc.clusterVersion,
  target_version: doc.targetVersion,
  cancelled_at: doc.cancelledAt,
  created_at: doc.createdAt,
  updated_at: doc.updatedAt,
});

type JobDoc = NonNullable<ClusterState["jobs"]>[number];

export const clusterJobDoc = (row: Row<ClusterJobsTable>): JobDoc => ({
  id: row.id,
  clusterId: row.cluster_id,
  type: row.type as JobDoc["type"],
  resourceId: row.resource_id,
  resourceName: row.resource_name,
  phase: row.phase,
  reason: row.reason,
  fence: row.fence,
  dueAt: row.due_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  completedAt: row.completed_at,
});

export const clusterJobRow = (projectId: string, doc: JobDoc): Insertable<ClusterJobsTable> => ({
  id: doc.id,
  project_id: projectId,
  cluster_id: doc.clusterId,
  type: doc.type,
  resource_id: doc.resourceId,
  resource_name: doc.resourceName,
  phase: doc.phase,
  reason: doc.reason,
  fence: doc.fence,
  due_at: doc.dueAt,
  created_at: doc.createdAt,
  updated_at: doc.updatedAt,
  completed_at: doc.completedAt,
});

type SimulatorDoc = ClusterState["simulator"];

export const simulatedTargetDoc = (row: Row<SimulatedTargetsTable>): SimulatorDoc["targets"][number] => ({
  kind: row.kind as StepKind,
  name: row.name,
  version: row.version,
  updatedAt: row.updated_at,
});

export const simulatedTargetRow = (clusterId: string, doc: SimulatorDoc["targets"][number]): SimulatedTargetsTable => ({
  cluster_id: clusterId,
  kind: doc.kind,
  name: doc.name,
  version: doc.version,
  updated_at: doc.updatedAt,
});

type ApplyLogDoc = SimulatorDoc["applyLog"][number];

export const applyLogDoc = (row: Row<SimulatorApplyLogTable>): ApplyLogDoc => ({
  id: row.id,
  taskId: row.task_id,
  stepIndex: row.step_index,
  stepKind: row.step_kind as StepKind,
  target: row.target,
  run: row.run,
  attempt: row.attempt,
  outcome: row.outcome as ApplyLogDoc["outcome"],
  fromVersion: row.from_version,
  toVersion: row.to_version,
  at: row.at,
});

export const applyLogRow = (clusterId: string, doc: ApplyLogDoc): SimulatorApplyLogTable => ({
  id: doc.id,
  cluster_id: clusterId,
  task_id: doc.taskId,
  step_index: doc.stepIndex,
  step_kind: doc.stepKind,
  target: doc.target,
  run: doc.run,
  attempt: doc.attempt,
  outcome: doc.outcome,
  from_version: doc.fromVersion,
  to_version: doc.toVersion,
  at: doc.at,
});
