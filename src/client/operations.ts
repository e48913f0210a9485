/**
 * Every operation the client calls, with its HTTP method and path template exactly as the server's route modules
 * register them (`{name}` for `:name`). The test suite compares this table with the running server's OpenAPI document.
 */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface Operation {
  readonly method: HttpMethod;
  readonly path: string;
}

const CLUSTERS = "/api/v3/projects/{project_id}/clusters";
const CLUSTER = `${CLUSTERS}/{cluster_id}`;
const NODE_POOLS = `${CLUSTER}/nodepools`;
const NODES = `${CLUSTER}/nodes`;
const UPGRADE = `${CLUSTER}/operation/upgrade`;
const PRECHECK = `${CLUSTER}/operation/precheck`;
const WORKFLOWS = `${CLUSTER}/operation/upgradeworkflows`;
// The backup routes are the only ones under v3.1 (reference §4).
const SNAPSHOT = "/api/v3.1/projects/{project_id}/clusters/{cluster_id}/operation/snapshot";
const EXTENSION = "/ext/v1/projects/{project_id}/clusters/{cluster_id}";

export const OPERATIONS = {
  upgradeCluster: { method: "POST", path: UPGRADE },
  showUpgradeClusterTask: { method: "GET", path: `${UPGRADE}/tasks/{task_id}` },
  listUpgradeClusterTasks: { method: "GET", path: `${UPGRADE}/tasks` },
  pauseUpgradeClusterTask: { method: "POST", path: `${UPGRADE}/pause` },
  continueUpgradeClusterTask: { method: "POST", path: `${UPGRADE}/continue` },
  retryUpgradeClusterTask: { method: "POST", path: `${UPGRADE}/retry` },
  createPreCheck: { method: "POST", path: PRECHECK },
  showPreCheck: { method: "GET", path: `${PRECHECK}/tasks/{task_id}` },
  listPreCheckTasks: { method: "GET", path: `${PRECHECK}/tasks` },
  createPostCheck: { method: "POST", path: `${CLUSTER}/operation/postcheck` },
  createClusterMasterSnapshot: { method: "POST", path: SNAPSHOT },
  listClusterMasterSnapshotTasks: { method: "GET", path: `${SNAPSHOT}/tasks` },
  showClusterUpgradeInfo: { method: "GET", path: `${CLUSTER}/upgradeinfo` },
  listClusterUpgradePaths: { method: "GET", path: "/api/v3/clusterupgradepaths" },
  listClusterUpgradeFeatureGates: { method: "GET", path: "/api/v3/clusterupgradefeaturegates" },
  createUpgradeWorkFlow: { method: "POST", path: WORKFLOWS },
  listUpgradeWorkFlows: { method: "GET", path: WORKFLOWS },
  showUpgradeWorkFlow: { method: "GET", path: `${WORKFLOWS}/{upgrade_workflow_id}` },
  upgradeWorkFlowUpdate: { method: "PATCH", path: `${WORKFLOWS}/{upgrade_workflow_id}` },
  showCluster: { method: "GET", path: CLUSTER },
  listClusters: { method: "GET", path: CLUSTERS },
  createCluster: { method: "POST", path: CLUSTERS },
  updateCluster: { method: "PUT", path: CLUSTER },
  deleteCluster: { method: "DELETE", path: CLUSTER },
  createNodePool: { method: "POST", path: NODE_POOLS },
  listNodePools: { method: "GET", path: NODE_POOLS },
  showNodePool: { method: "GET", path: `${NODE_POOLS}/{nodepool_id}` },
  updateNodePool: { method: "PUT", path: `${NODE_POOLS}/{nodepool_id}` },
  deleteNodePool: { method: "DELETE", path: `${NODE_POOLS}/{nodepool_id}` },
  listNodes: { method: "GET", path: NODES },
  showNode: { method: "GET", path: `${NODES}/{node_id}` },
  deleteNode: { method: "DELETE", path: `${NODES}/{node_id}` },
  showJob: { method: "GET", path: "/api/v3/projects/{project_id}/jobs/{job_id}" },
  showUpgradeTaskPlan: { method: "GET", path: `${EXTENSION}/upgrade/tasks/{task_id}/plan` },
  listFaults: { method: "GET", path: `${EXTENSION}/faults` },
  createFault: { method: "POST", path: `${EXTENSION}/faults` },
  deleteFault: { method: "DELETE", path: `${EXTENSION}/faults/{fault_id}` },
  showClusterDriver: { method: "GET", path: `${EXTENSION}/driver` },
  updateClusterDriver: { method: "PUT", path: `${EXTENSION}/driver` },
  listClusterNodes: { method: "GET", path: `${EXTENSION}/nodes` },
  resetProject: { method: "POST", path: "/ext/v1/projects/{project_id}/reset" },
  showProjectState: { method: "GET", path: "/ext/v1/projects/{project_id}/state" },
  restoreProjectState: { method: "PUT", path: "/ext/v1/projects/{project_id}/state" },
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;
