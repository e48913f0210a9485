/**
 * Request and response types of every operation, taken from the TypeBox schemas the server validates and serializes
 * with. Type-only imports: none of the schema modules is loaded at run time.
 */
import type { Static } from "typebox";
import type {
  CreatePreCheckResponse as CreatePreCheckResponseSchema,
  PostcheckClusterRequestBody,
  PostcheckResponse,
  PrecheckClusterRequestBody,
  PrecheckTaskList as PrecheckTaskListSchema,
  PrecheckTask as PrecheckTaskSchema,
} from "../api/schemas/checks.js";
import type {
  ClusterList as ClusterListSchema,
  Cluster as ClusterSchema,
  CreateClusterBody,
  DeleteClusterQuery,
  ListClustersQuery,
  ShowClusterQuery,
  UpdateClusterBody,
} from "../api/schemas/cluster.js";
import type { DriverView } from "../api/schemas/cluster-driver.js";
import type { ClusterNodes as ClusterNodesSchema } from "../api/schemas/cluster-nodes.js";
import type { ClusterParams, TaskParams } from "../api/schemas/common.js";
import type { FaultList as FaultListSchema, FaultParams, Fault as FaultSchema } from "../api/schemas/fault.js";
import type { JobParams, Job as JobSchema } from "../api/schemas/job.js";
import type {
  CreateNodePoolBody,
  DeleteNodeQuery,
  ListNodePoolsQuery,
  NodeList as NodeListSchema,
  NodeParams,
  NodePoolList as NodePoolListSchema,
  NodePoolParams,
  NodePool as NodePoolSchema,
  Node as NodeSchema,
  UpdateNodePoolBody,
} from "../api/schemas/node-pool.js";
import type { ProjectStateChange as ProjectStateChangeSchema } from "../api/schemas/project-state.js";
import type { CreateSnapshotResponse, SnapshotTaskList as SnapshotTaskListSchema } from "../api/schemas/snapshot.js";
import type {
  UpgradeFeatureGates as UpgradeFeatureGatesSchema,
  UpgradeInfo as UpgradeInfoSchema,
  UpgradePaths as UpgradePathsSchema,
} from "../api/schemas/upgrade-info.js";
import type { UpgradeTaskPlan as UpgradeTaskPlanSchema } from "../api/schemas/upgrade-plan.js";
import type {
  UpgradeClusterRequestBody,
  UpgradeClusterResponse as UpgradeClusterResponseSchema,
  UpgradeControlResponse as UpgradeControlResponseSchema,
  UpgradeTaskList as UpgradeTaskListSchema,
  UpgradeTask as UpgradeTaskSchema,
} from "../api/schemas/upgrade-task.js";
import type {
  CreateUpgradeWorkFlowRequestBody,
  UpgradeWorkFlowList as UpgradeWorkFlowListSchema,
  UpgradeWorkFlow as UpgradeWorkFlowSchema,
  UpgradeWorkFlowUpdateRequestBody,
  WorkflowParams,
} from "../api/schemas/upgrade-workflow.js";
import type { DriverChoiceSchema } from "../domain/driver-config.js";
import type { FaultRule } from "../domain/fault-rule.js";

/** The client fills in `project_id` from its own settings. */
type PathParams<T> = Omit<T, "project_id">;

export type ClusterRequest = PathParams<Static<typeof ClusterParams>>;
export type TaskRequest = PathParams<Static<typeof TaskParams>>;
export type WorkflowRequest = PathParams<Static<typeof WorkflowParams>>;
export type FaultRequest = PathParams<Static<typeof FaultParams>>;
export type ShowClusterRequest = ClusterRequest & Static<typeof ShowClusterQuery>;
export type ListClustersRequest = Static<typeof ListClustersQuery>;
export type NodePoolRequest = PathParams<Static<typeof NodePoolParams>>;
export type NodeRequest = PathParams<Static<typeof NodeParams>>;
export type JobRequest = PathParams<Static<typeof JobParams>>;

export type UpgradeClusterRequest = ClusterRequest & { body: Static<typeof UpgradeClusterRequestBody> };
export type CreatePreCheckRequest = ClusterRequest & { body: Static<typeof PrecheckClusterRequestBody> };
export type CreatePostCheckRequest = ClusterRequest & { body: Static<typeof PostcheckClusterRequestBody> };
export type CreateUpgradeWorkFlowRequest = ClusterRequest & { body: Static<typeof CreateUpgradeWorkFlowRequestBody> };
export type UpgradeWorkFlowUpdateRequest = WorkflowRequest & { body: Static<typeof UpgradeWorkFlowUpdateRequestBody> };
export type CreateFaultRequest = ClusterRequest & { body: Static<typeof FaultRule> };
export type UpdateClusterDriverRequest = ClusterRequest & { body: Static<typeof DriverChoiceSchema> };
export type CreateClusterRequest = { body: Static<typeof CreateClusterBody> };
export type UpdateClusterRequest = ClusterRequest & { body: Static<typeof UpdateClusterBody> };
export type DeleteClusterRequest = ClusterRequest & Static<typeof DeleteClusterQuery>;
export type CreateNodePoolRequest = ClusterRequest & { body: Static<typeof CreateNodePoolBody> };
export type ListNodePoolsRequest = ClusterRequest & Static<typeof ListNodePoolsQuery>;
export type UpdateNodePoolRequest = NodePoolRequest & { body: Static<typeof UpdateNodePoolBody> };
export type DeleteNodeRequest = NodeRequest & Static<typeof DeleteNodeQuery>;

export type UpgradeClusterResponse = Static<typeof UpgradeClusterResponseSchema>;
export type UpgradeTask = Static<typeof UpgradeTaskSchema>;
export type UpgradeTaskList = Static<typeof UpgradeTaskListSchema>;
export type UpgradeControlResponse = Static<typeof UpgradeControlResponseSchema>;
export type CreatePreCheckResponse = Static<typeof CreatePreCheckResponseSchema>;
export type PrecheckTask = Static<typeof PrecheckTaskSchema>;
export type PrecheckTaskList = Static<typeof PrecheckTaskListSchema>;
export type CreatePostCheckResponse = Static<typeof PostcheckResponse>;
export type CreateClusterMasterSnapshotResponse = Static<typeof CreateSnapshotResponse>;
export type SnapshotTaskList = Static<typeof SnapshotTaskListSchema>;
export type UpgradeInfo = Static<typeof UpgradeInfoSchema>;
export type UpgradePaths = Static<typeof UpgradePathsSchema>;
export type UpgradeFeatureGates = Static<typeof UpgradeFeatureGatesSchema>;
export type UpgradeWorkFlow = Static<typeof UpgradeWorkFlowSchema>;
export type UpgradeWorkFlowList = Static<typeof UpgradeWorkFlowListSchema>;
export type Cluster = Static<typeof ClusterSchema>;
export type ClusterList = Static<typeof ClusterListSchema>;
export type UpgradeTaskPlan = Static<typeof UpgradeTaskPlanSchema>;
export type Fault = Static<typeof FaultSchema>;
export type FaultList = Static<typeof FaultListSchema>;
export type ClusterDriver = Static<typeof DriverView>;
export type ClusterNodes = Static<typeof ClusterNodesSchema>;
export type NodePool = Static<typeof NodePoolSchema>;
export type NodePoolList = Static<typeof NodePoolListSchema>;
export type Node = Static<typeof NodeSchema>;
export type NodeList = Static<typeof NodeListSchema>;
/** A lifecycle job (creating or deleting a cluster, pool or node, scaling a pool): ShowJob's answer. */
export type Job = Static<typeof JobSchema>;

/** What ResetProject and RestoreProjectState did: rows deleted and rows the project has now, by kind. */
export type ProjectStateChange = Static<typeof ProjectStateChangeSchema>;
/** ShowProjectState's document (version 2), which RestoreProjectState takes back, as it takes version 1. */
export type { ProjectState } from "../domain/project-state.js";
