/** A small typed client for the CCE upgrade routes the CLI calls, authenticating with a token or AK/SK. */
import { signRequest } from "../domain/signing/sdk-hmac-sha256.js";

export type Credential = { readonly token: string } | { readonly ak: string; readonly sk: string };

export interface ClientSettings {
  readonly endpoint: string;
  readonly projectId: string;
  readonly credential: Credential;
}

/** An error answer of the API, with CCE's code and message. */
export class CceApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The endpoint did not answer at all. */
export class ConnectionError extends Error {}

export interface Cluster {
  metadata: { uid: string; name: string };
  spec: { version: string; platformVersion: string };
  status: { phase: string };
}

export interface UpgradeTask {
  metadata: { uid: string; creationTimestamp: string; updateTimestamp: string };
  spec: { version: string; targetVersion: string; items?: { failureReason?: string } };
  status: { phase: string; progress: string; completionTime: string };
}

export interface PrecheckTask {
  metadata: { uid: string; creationTimestamp: string };
  spec: { clusterVersion?: string; targetVersion?: string };
  status: { phase: string; message?: string };
}

export interface UpgradeRequest {
  readonly targetVersion: string;
  /** Largest node batch (`userDefinedStep`). */
  readonly batch?: number;
  readonly onlyUpgrade?: boolean;
}

export type UpgradeControl = "pause" | "continue" | "retry";

export class CceClient {
  readonly #settings: ClientSettings;

  constructor(settings: ClientSettings) {
    this.#settings = settings;
  }

  async listClusters(): Promise<Cluster[]> {
    return (await this.#call<{ items: Cluster[] }>("GET", this.#project("/clusters"))).items;
  }

  async startUpgrade(clusterId: string, request: UpgradeRequest): Promise<string> {
    const rolling = request.batch === undefined ? {} : { inPlaceRollingUpdate: { userDefinedStep: request.batch } };
    const body = {
      metadata: { apiVersion: "v3", kind: "UpgradeTask" },
      spec: {
        clusterUpgradeAction: {
          targetVersion: request.targetVersion,
          strategy: { type: "inPlaceRollingUpdate", ...rolling },
          ...(request.onlyUpgrade && { isOnlyUpgrade: true }),
        },
      },
    };
    const path = this.#cluster(clusterId, "/operation/upgrade");
    return (await this.#call<{ metadata: { uid: string } }>("POST", path, body)).metadata.uid;
  }

  async listUpgradeTasks(clusterId: string): Promise<UpgradeTask[]> {
    const path = this.#cluster(clusterId, "/operation/upgrade/tasks");
    return (await this.#call<{ items: UpgradeTask[] }>("GET", path)).items;
  }

  async getUpgradeTask(clusterId: string, taskId: string): Promise<UpgradeTask> {
    const path = this.#cluster(clusterId, `/operation/upgrade/tasks/${encodeURIComponent(taskId)}`);
    return this.#call<UpgradeTask>("GET", path);
  }

  async controlUpgrade(clusterId: string, control: UpgradeControl): Promise<void> {
    await this.#call("POST", this.#cluster(clusterId, `/operation/upgrade/${control}`), {});
  }

  async startPrecheck(clusterId: string, targetVersion: string): Promise<string> {
    const body = { apiVersion: "v3", kind: "PreCheckTask", spec: { targetVersion } };
    const path = this.#cluster(clusterId, "/operation/precheck");
    return (await this.#call<{ metadata: { uid: string } }>("POST", path, body)).metadata.uid;
  }

  async getPrecheck(clusterId: string, taskId: string): Promise<PrecheckTask> {
    const path = this.#cluster(clusterId, `/operation/precheck/tasks/${encodeURIComponent(taskId)}`);
    return this.#call<PrecheckTask>("GET", path);
  }

  #project(suffix: string): string {
    return `/api/v3/projects/${encodeURIComponent(this.#settings.projectId)}${suffix}`;
  }

  #cluster(clusterId: string, suffix: string): string {
    return this.#project(`/clusters/${encodeURIComponent(clusterId)}${suffix}`);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.#settings.endpoint);
    const text = body === undefined ? "" : JSON.stringify(body);
    const response = await this.#send(url, {
      method,
      headers: this.#headers(method, url, text),
      body: text || undefined,
    });
    const answer = await response.text();
    if (!response.ok) throw apiError(response.status, answer);
    return JSON.parse(answer) as T;
  }

  async #send(url: URL, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      // fetch says only "fetch failed"; the cause names the system error (ECONNREFUSED, ENOTFOUND).
      const cause = (error as Error).cause as Error | undefined;
      throw new ConnectionError(`cannot reach ${url.origin}: ${cause?.message ?? (error as Error).message}`);
    }
  }

  #headers(method: string, url: URL, body: string): Record<string, string> {
    const headers = { "content-type": "application/json", "x-project-id": this.#settings.projectId };
    const { credential } = this.#settings;
    if ("token" in credential) return { ...headers, "x-auth-token": credential.token };
    // Signed like the Node SDK: content-type, host, x-project-id and x-sdk-date.
    const signed = { ...headers, host: url.host };
    const authorization = signRequest({
      method,
      url: `${url.pathname}${url.search}`,
      headers: signed,
      body,
      ak: credential.ak,
      sk: credential.sk,
      date: new Date(),
    });
    return { ...headers, ...authorization };
  }
}

/** Reads both spellings of CCE's error body; an answer in another shape keeps the HTTP status as its code. */
function apiError(status: number, answer: string): CceApiError {
  try {
    const body = JSON.parse(answer) as Record<string, string | undefined>;
    const code = body.errorCode ?? body.error_code;
    const message = body.errorMessage ?? body.error_msg;
    if (code && message) return new CceApiError(status, code, message);
  } catch {
    // not JSON: fall through
  }
  return new CceApiError(status, `HTTP ${status}`, answer.slice(0, 200) || "no message");
}
