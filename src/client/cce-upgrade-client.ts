import { JobWaitTimeoutError, TaskWaitTimeoutError } from "./client-errors.js";
import { type AccessKeyCredential, type Credential, HttpTransport, type TokenCredential } from "./http-transport.js";
import type {
  Cluster,
  ClusterDriver,
  ClusterList,
  ClusterNodes,
  ClusterRequest,
  CreateClusterMasterSnapshotResponse,
  CreateClusterRequest,
  CreateFaultRequest,
  CreateNodePoolRequest,
  CreatePostCheckRequest,
  CreatePostCheckResponse,
  CreatePreCheckRequest,
  CreatePreCheckResponse,
  CreateUpgradeWorkFlowRequest,
  DeleteClusterRequest,
  DeleteNodeRequest,
  Fault,
  FaultList,
  FaultRequest,
  Job,
  JobRequest,
  ListClustersRequest,
  ListNodePoolsRequest,
  Node,
  NodeList,
  NodePool,
  NodePoolList,
  NodePoolRequest,
  NodeRequest,
  PrecheckTask,
  PrecheckTaskList,
  ProjectState,
  ProjectStateChange,
  ShowClusterRequest,
  SnapshotTaskList,
  TaskRequest,
  UpdateClusterDriverRequest,
  UpdateClusterRequest,
  UpdateNodePoolRequest,
  UpgradeClusterRequest,
  UpgradeClusterResponse,
  UpgradeControlResponse,
  UpgradeFeatureGates,
  UpgradeInfo,
  UpgradePaths,
  UpgradeTask,
  UpgradeTaskList,
  UpgradeTaskPlan,
  UpgradeWorkFlow,
  UpgradeWorkFlowList,
  UpgradeWorkFlowUpdateRequest,
  WorkflowRequest,
} from "./operation-types.js";
import { OPERATIONS, type Operation } from "./operations.js";
import { expandPath, type PathValues, queryString } from "./request-path.js";
import { pollUntilFinal, type WaitForJobOptions, type WaitForTaskOptions } from "./task-waiting.js";

/** Where the server is, which project to act in, and an IAM token or an access key pair. */
export type CceUpgradeClientOptions = {
  /** `http(s)://host:port`, e.g. a `startEmulator()` URL. */
  readonly endpoint: string;
  readonly projectId: string;
} & (TokenCredential | AccessKeyCredential);

interface CallParts {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
}

/**
 * A typed client of the cce-upgrade API (CCE v3 Cluster Upgrade and the `/ext/v1` extensions). Methods are named like
 * the official SDK's, take one request object (snake-case path parameters plus `body`) and resolve to the answer's
 * body; a non-2xx answer rejects with `CceUpgradeClientError`, an endpoint that does not answer with
 * `CceUpgradeConnectionError`.
 */
export class CceUpgradeClient {
  readonly #projectId: string;
  readonly #transport: HttpTransport;

  constructor(options: CceUpgradeClientOptions) {
    this.#projectId = options.projectId;
    this.#transport = new HttpTransport({
      endpoint: options.endpoint,
      projectId: options.projectId,
      credential: credentialOf(options),
    });
  }

  /** Starts an upgrade; the task ID is `metadata.uid` (also `uid`). */
  upgradeCluster(request: UpgradeClusterRequest): Promise<UpgradeClusterResponse> {
    return this.#call(OPERATIONS.upgradeCluster, request, { body: request.body });
  }

  showUpgradeClusterTask(request: TaskRequest): Promise<UpgradeTask> {
    return this.#call(OPERATIONS.showUpgradeClusterTask, request);
  }

  listUpgradeClusterTasks(request: ClusterRequest): Promise<UpgradeTaskList> {
    return this.#call(OPERATIONS.listUpgradeClusterTasks, request);
  }

  /** Pauses the cluster's current upgrade after its running step. */
  pauseUpgradeClusterTask(request: ClusterRequest): Promise<UpgradeControlResponse> {
    return this.#call(OPERATIONS.pauseUpgradeClusterTask, request);
  }

  continueUpgradeClusterTask(request: ClusterRequest): Promise<UpgradeControlResponse> {
    return this.#call(OPERATIONS.continueUpgradeClusterTask, request);
  }

  /** Runs the cluster's failed upgrade again from its failed step. */
  retryUpgradeClusterTask(request: ClusterRequest): Promise<UpgradeControlResponse> {
    return this.#call(OPERATIONS.retryUpgradeClusterTask, request);
  }

  createPreCheck(request: CreatePreCheckRequest): Promise<CreatePreCheckResponse> {
    return this.#call(OPERATIONS.createPreCheck, request, { body: request.body });
  }

  showPreCheck(request: TaskRequest): Promise<PrecheckTask> {
    return this.#call(OPERATIONS.showPreCheck, request);
  }

  listPreCheckTasks(request: ClusterRequest): Promise<PrecheckTaskList> {
    return this.#call(OPERATIONS.listPreCheckTasks, request);
  }

  /** Answered at once: `status.phase` is `Success` when the cluster runs the target version and is healthy. */
  createPostCheck(request: CreatePostCheckRequest): Promise<CreatePostCheckResponse> {
    return this.#call(OPERATIONS.createPostCheck, request, { body: request.body });
  }

  /** Backs up the control plane; the task ID is the top-level `uid`. */
  createClusterMasterSnapshot(request: ClusterRequest): Promise<CreateClusterMasterSnapshotResponse> {
    return this.#call(OPERATIONS.createClusterMasterSnapshot, request);
  }

  listClusterMasterSnapshotTasks(request: ClusterRequest): Promise<SnapshotTaskList> {
    return this.#call(OPERATIONS.listClusterMasterSnapshotTasks, request);
  }

  showClusterUpgradeInfo(request: ClusterRequest): Promise<UpgradeInfo> {
    return this.#call(OPERATIONS.showClusterUpgradeInfo, request);
  }

  /** Every supported upgrade path; not tied to a project. */
  listClusterUpgradePaths(): Promise<UpgradePaths> {
    return this.#call(OPERATIONS.listClusterUpgradePaths, {});
  }

  listClusterUpgradeFeatureGates(): Promise<UpgradeFeatureGates> {
    return this.#call(OPERATIONS.listClusterUpgradeFeatureGates, {});
  }

  /** Answers 201 with the resolved `spec.clusterVersion` and `spec.targetVersion`. */
  createUpgradeWorkFlow(request: CreateUpgradeWorkFlowRequest): Promise<UpgradeWorkFlow> {
    return this.#call(OPERATIONS.createUpgradeWorkFlow, request, { body: request.body });
  }

  listUpgradeWorkFlows(request: ClusterRequest): Promise<UpgradeWorkFlowList> {
    return this.#call(OPERATIONS.listUpgradeWorkFlows, request);
  }

  showUpgradeWorkFlow(request: WorkflowRequest): Promise<UpgradeWorkFlow> {
    return this.#call(OPERATIONS.showUpgradeWorkFlow, request);
  }

  /** Cancels a workflow, the only change the API supports (`body.status.phase: "Cancel"`). */
  upgradeWorkFlowUpdate(request: UpgradeWorkFlowUpdateRequest): Promise<UpgradeWorkFlow> {
    return this.#call(OPERATIONS.upgradeWorkFlowUpdate, request, { body: request.body });
  }

  showCluster(request: ShowClusterRequest): Promise<Cluster> {
    const { detail, errorStatus } = request;
    return this.#call(OPERATIONS.showCluster, request, { query: { detail, errorStatus } });
  }

  listClusters(request: ListClustersRequest = {}): Promise<ClusterList> {
    const { detail, status, type, version, errorStatus } = request;
    return this.#call(OPERATIONS.listClusters, {}, { query: { detail, status, type, version, errorStatus } });
  }

  /** Extension: the task's steps, batches and nodes, each with its phase and times. */
  showUpgradeTaskPlan(request: TaskRequest): Promise<UpgradeTaskPlan> {
    return this.#call(OPERATIONS.showUpgradeTaskPlan, request);
  }

  /** Answers 201 with the cluster `Creating`; `status.jobID` is the CreateCluster job, for `waitForJob`. */
  createCluster(request: CreateClusterRequest): Promise<Cluster> {
    return this.#call(OPERATIONS.createCluster, {}, { body: request.body });
  }

  /** Changes the description, alias or custom SANs of an `Available` cluster. */
  updateCluster(request: UpdateClusterRequest): Promise<Cluster> {
    return this.#call(OPERATIONS.updateCluster, request, { body: request.body });
  }

  /** Answers with the cluster `Deleting`; it is gone (404) once its `status.jobID` job succeeds. */
  deleteCluster(request: DeleteClusterRequest): Promise<Cluster> {
    const { delete_efs, delete_eni, delete_evs, delete_net, delete_obs, delete_sfs, tobedeleted } = request;
    const query = { delete_efs, delete_eni, delete_evs, delete_net, delete_obs, delete_sfs, tobedeleted };
    return this.#call(OPERATIONS.deleteCluster, request, { query });
  }

  /** Answers 201 with the pool `Synchronizing`; `status.jobId` is its CreateNodePool job. */
  createNodePool(request: CreateNodePoolRequest): Promise<NodePool> {
    return this.#call(OPERATIONS.createNodePool, request, { body: request.body });
  }

  /** The cluster's pools; `DefaultPool` only with `showDefaultNodePool: "true"`, as CCE lists them. */
  listNodePools(request: ListNodePoolsRequest): Promise<NodePoolList> {
    const { showDefaultNodePool, errorStatus } = request;
    return this.#call(OPERATIONS.listNodePools, request, { query: { showDefaultNodePool, errorStatus } });
  }

  showNodePool(request: NodePoolRequest): Promise<NodePool> {
    return this.#call(OPERATIONS.showNodePool, request);
  }

  /** Renames a pool or scales it to `body.spec.initialNodeCount`; a scaling answers with a new `status.jobId`. */
  updateNodePool(request: UpdateNodePoolRequest): Promise<NodePool> {
    return this.#call(OPERATIONS.updateNodePool, request, { body: request.body });
  }

  /** Answers with the pool `Deleting`; `status.jobId` is its DeleteNodePool job. */
  deleteNodePool(request: NodePoolRequest): Promise<NodePool> {
    return this.#call(OPERATIONS.deleteNodePool, request);
  }

  /** The cluster's nodes in CCE's form; `listClusterNodes` is the extension that adds pools and versions. */
  listNodes(request: ClusterRequest): Promise<NodeList> {
    return this.#call(OPERATIONS.listNodes, request);
  }

  showNode(request: NodeRequest): Promise<Node> {
    return this.#call(OPERATIONS.showNode, request);
  }

  /** Answers with the node `Deleting`; `status.jobID` is its DeleteNode job. */
  deleteNode(request: DeleteNodeRequest): Promise<Node> {
    const { nodepoolScaleDown, errorStatus } = request;
    return this.#call(OPERATIONS.deleteNode, request, { query: { nodepoolScaleDown, errorStatus } });
  }

  /** A lifecycle job and its sub-jobs: `Initializing`, `Running`, then `Success` or `Failed`. */
  showJob(request: JobRequest): Promise<Job> {
    return this.#call(OPERATIONS.showJob, request);
  }

  /** Extension: the simulator faults waiting for the cluster's next upgrade steps. */
  listFaults(request: ClusterRequest): Promise<FaultList> {
    return this.#call(OPERATIONS.listFaults, request);
  }

  /** Extension: makes the next `times` matching step attempts fail (or stall). */
  createFault(request: CreateFaultRequest): Promise<Fault> {
    return this.#call(OPERATIONS.createFault, request, { body: request.body });
  }

  /** Extension: removes a fault; a stall it causes ends. */
  async deleteFault(request: FaultRequest): Promise<void> {
    await this.#call(OPERATIONS.deleteFault, request);
  }

  /** Extension: whether the simulator or a driver profile (by name) runs the cluster's upgrade steps. */
  showClusterDriver(request: ClusterRequest): Promise<ClusterDriver> {
    return this.#call(OPERATIONS.showClusterDriver, request);
  }

  /** Extension: picks the simulator or a profile the project may use; refused (409) during an upgrade. */
  updateClusterDriver(request: UpdateClusterDriverRequest): Promise<ClusterDriver> {
    return this.#call(OPERATIONS.updateClusterDriver, request, { body: request.body });
  }

  /** Extension: the cluster's node pools and nodes, with each node's version. */
  listClusterNodes(request: ClusterRequest): Promise<ClusterNodes> {
    return this.#call(OPERATIONS.listClusterNodes, request);
  }

  /**
   * Polls an upgrade task until it is `Success` or `Failed` and resolves with it either way; a `TaskWaitTimeoutError`
   * (carrying the last task read) when `timeoutMs` passes first.
   */
  waitForTask(request: TaskRequest, options: WaitForTaskOptions = {}): Promise<UpgradeTask> {
    return pollUntilFinal(
      () => this.showUpgradeClusterTask(request),
      options,
      (task, timeoutMs) => new TaskWaitTimeoutError(task, timeoutMs),
    );
  }

  /**
   * Polls a lifecycle job until it is `Success` or `Failed` and resolves with it either way; a `JobWaitTimeoutError`
   * (carrying the last job read) when `timeoutMs` passes first.
   */
  waitForJob(jobId: string, options: WaitForJobOptions = {}): Promise<Job> {
    return pollUntilFinal(
      () => this.showJob({ job_id: jobId }),
      options,
      (job, timeoutMs) => new JobWaitTimeoutError(job, timeoutMs),
    );
  }

  /** Extension: brings the project back to its seed, stopping its running work first. */
  resetProject(): Promise<ProjectStateChange> {
    return this.#call(OPERATIONS.resetProject, {});
  }

  /** Extension: the project's whole state as one versioned document. */
  showProjectState(): Promise<ProjectState> {
    return this.#call(OPERATIONS.showProjectState, {});
  }

  /** Extension: replaces the project's whole state with a document ShowProjectState gave. */
  restoreProjectState(request: { body: ProjectState }): Promise<ProjectStateChange> {
    return this.#call(OPERATIONS.restoreProjectState, {}, { body: request.body });
  }

  // The answer's type is the method's: OPERATIONS holds paths, not types, and, as in the SDKs, no answer is checked.
  async #call<T>(operation: Operation, values: PathValues, parts: CallParts = {}): Promise<T> {
    const path = expandPath(operation.path, { ...values, project_id: this.#projectId });
    return (await this.#transport.send(operation.method, `${path}${queryString(parts.query ?? {})}`, parts.body)) as T;
  }
}

/** Exactly one kind of credential: a token and a key pair together would leave it unclear which one is used. */
function credentialOf(options: CceUpgradeClientOptions): Credential {
  const { token, ak, sk, securityToken } = options;
  if (token !== undefined && ak === undefined && sk === undefined) return { token };
  if (token === undefined && ak !== undefined && sk !== undefined) {
    return { ak, sk, ...(securityToken !== undefined && { securityToken }) };
  }
  throw new TypeError("CceUpgradeClient needs either token, or ak and sk (with an optional securityToken)");
}
