/** The console's only way to the service: the public CCE API and its /ext/v1 extensions, with X-Auth-Token. */

export interface Session {
  readonly token: string;
  readonly projectId: string;
  /** Who signed in, for display; absent for a pasted token. */
  readonly userName?: string;
}

/** An error answer in CCE's form, or a network failure. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// The wire types are the typed client's, taken from the server's own schemas (type-only: nothing of the client is
// bundled; the console keeps its own fetch, with the token only).
export type {
  Cluster,
  ClusterNodes,
  PrecheckTask,
  SnapshotTaskList,
  UpgradeInfo,
  UpgradeTask,
  UpgradeTaskPlan as UpgradePlan,
} from "../client/operation-types.js";

import type {
  Cluster,
  ClusterNodes,
  PrecheckTask,
  SnapshotTaskList,
  UpgradeInfo,
  UpgradeTaskPlan as UpgradePlan,
  UpgradeTask,
  UpgradeTaskPlan,
} from "../client/operation-types.js";

/** One pre-check item, as every group lists them. */
export type CheckItem = PrecheckTask["status"]["clusterCheckStatus"]["itemsStatus"][number];
export type PlanStep = UpgradeTaskPlan["steps"][number];
export type PlanTarget = PlanStep["targets"][number];

export interface UpgradeRequest {
  targetVersion: string;
  userDefinedStep: number;
  nodePoolOrder: Record<string, number>;
}

/** Signs in with IAM's password method; the token comes back in X-Subject-Token. */
export async function signInWithPassword(userName: string, password: string, projectName: string): Promise<Session> {
  const response = await fetch("/v3/auth/tokens", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: userName, password } } },
        scope: { project: { name: projectName } },
      },
    }),
  });
  const body = await readBody(response);
  const token = response.headers.get("x-subject-token");
  if (!response.ok || !token) throw failure(response.status, body);
  return { token, projectId: body.token.project.id, userName };
}

/**
 * A path whose every interpolated value becomes exactly one path segment: ids from the URL or from answers are
 * percent-encoded, so `/`, `?` or `#` in them cannot reach another route. `.` and `..` stay dot-segments even
 * when encoded (a browser resolves `%2e%2e` too), so they are refused.
 */
export function apiPath(texts: TemplateStringsArray, ...segments: string[]): string {
  return texts.reduce((path, text, i) => `${path}${pathSegment(segments[i - 1] ?? "")}${text}`);
}

function pathSegment(value: string): string {
  if (value === "." || value === "..") throw new ApiFailure(0, `${JSON.stringify(value)} is not a valid ID`);
  return encodeURIComponent(value);
}

/**
 * API calls of one signed-in session; paths are those of the CCE documentation. `onRefused` hears of every 401: the
 * token expired or was never valid, so the session should end rather than keep sending it.
 */
export function apiClient(session: Session, onRefused: () => void = () => {}) {
  const projectId = session.projectId;
  const cluster = (id: string) => apiPath`/api/v3/projects/${projectId}/clusters/${id}`;
  const extCluster = (id: string) => apiPath`/ext/v1/projects/${projectId}/clusters/${id}`;
  const backups = (id: string) => apiPath`/api/v3.1/projects/${projectId}/clusters/${id}/operation/snapshot`;

  // The path is built inside: a refused ID rejects the call like any other failure, never throws synchronously.
  async function call<T>(method: "GET" | "POST", path: () => string, payload?: unknown): Promise<T> {
    const response = await fetch(path(), {
      method,
      headers: {
        "x-auth-token": session.token,
        ...(payload === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    const body = await readBody(response);
    if (response.status === 401) onRefused();
    if (!response.ok) throw failure(response.status, body);
    return body as T;
  }

  return {
    listClusters: () =>
      call<{ items: Cluster[] }>("GET", () => apiPath`/api/v3/projects/${projectId}/clusters`).then(
        (list) => list.items,
      ),
    showCluster: (id: string) => call<Cluster>("GET", () => cluster(id)),
    listNodes: (id: string) => call<ClusterNodes>("GET", () => `${extCluster(id)}/nodes`),
    upgradeInfo: (id: string) => call<UpgradeInfo>("GET", () => `${cluster(id)}/upgradeinfo`),
    /** `skipped` names the check items to skip (skippedCheckItemList). */
    startPrecheck: (id: string, targetVersion: string, skipped: readonly string[] = []) =>
      call<PrecheckTask>("POST", () => `${cluster(id)}/operation/precheck`, {
        apiVersion: "v3",
        kind: "PreCheckTask",
        spec: { targetVersion, skippedCheckItemList: skipped.map((name) => ({ name })) },
      }),
    showPrecheck: (id: string, taskId: string) =>
      call<PrecheckTask>("GET", () => `${cluster(id)}${apiPath`/operation/precheck/tasks/${taskId}`}`),
    startBackup: (id: string) => call<{ uid: string }>("POST", () => backups(id)),
    listBackups: (id: string) => call<SnapshotTaskList>("GET", () => `${backups(id)}/tasks`),
    startUpgrade: (id: string, request: UpgradeRequest) =>
      call<{ uid: string }>("POST", () => `${cluster(id)}/operation/upgrade`, {
        metadata: { apiVersion: "v3", kind: "UpgradeTask" },
        spec: {
          clusterUpgradeAction: {
            targetVersion: request.targetVersion,
            nodePoolOrder: request.nodePoolOrder,
            strategy: {
              type: "inPlaceRollingUpdate",
              inPlaceRollingUpdate: { userDefinedStep: request.userDefinedStep },
            },
          },
        },
      }),
    listUpgrades: (id: string) =>
      call<{ items: UpgradeTask[] }>("GET", () => `${cluster(id)}/operation/upgrade/tasks`).then((list) => list.items),
    showUpgrade: (id: string, taskId: string) =>
      call<UpgradeTask>("GET", () => `${cluster(id)}${apiPath`/operation/upgrade/tasks/${taskId}`}`),
    showPlan: (id: string, taskId: string) =>
      call<UpgradePlan>("GET", () => `${extCluster(id)}${apiPath`/upgrade/tasks/${taskId}/plan`}`),
    controlUpgrade: (id: string, control: "pause" | "continue" | "retry") =>
      call<unknown>("POST", () => `${cluster(id)}/operation/upgrade/${control}`),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read field by field by the typed callers above.
async function readBody(response: Response): Promise<any> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function failure(status: number, body: unknown): ApiFailure {
  const cce = body as { errorMessage?: string; error_msg?: string; error?: { message?: string } } | undefined;
  const message = cce?.errorMessage ?? cce?.error_msg ?? cce?.error?.message ?? `request failed with HTTP ${status}`;
  return new ApiFailure(status, message);
}
