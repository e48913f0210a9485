import http from "node:http";
import https from "node:https";
import type { CoreV1Api, KubeConfig, V1LabelSelector, V1Node, V1Pod } from "@kubernetes/client-node";
import { DEFAULT_POOL } from "../domain/kubernetes-nodes.js";

/** A node as the driver reads it. */
export interface KubeNode {
  readonly uid: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly kubeletVersion: string;
  readonly ready: boolean;
  readonly unschedulable: boolean;
}

/** A pod on a node, with what decides whether a drain evicts it. */
export interface KubePod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The node it is scheduled on; empty while Pending. */
  readonly nodeName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly daemonSet: boolean;
  /** A static pod's API mirror: the kubelet owns it, eviction cannot remove it. */
  readonly mirror: boolean;
  readonly emptyDir: boolean;
  /** Succeeded or Failed: nothing runs, nothing to protect. */
  readonly finished: boolean;
}

export interface KubeBudget {
  readonly namespace: string;
  readonly name: string;
  readonly selector: V1LabelSelector | undefined;
  readonly disruptionsAllowed: number;
  /** The pods it selects, as the disruption controller counts them. */
  readonly expectedPods: number;
}

/** What the API server answered an eviction. */
export type EvictionAnswer =
  | { readonly kind: "evicted" }
  | { readonly kind: "gone" }
  /** 429: a PodDisruptionBudget allows no disruption now. */
  | { readonly kind: "blocked"; readonly message: string }
  | { readonly kind: "failed"; readonly status: number; readonly message: string };

export interface DeprecatedApiRequest {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly removedRelease: string;
}

/** The part of the Kubernetes API the driver uses; a port, so the driver's rules read apart from the client. */
export interface KubernetesApi {
  listNodes(): Promise<KubeNode[]>;
  readNode(name: string): Promise<KubeNode | undefined>;
  setUnschedulable(name: string, unschedulable: boolean): Promise<void>;
  podsOn(nodeName: string): Promise<KubePod[]>;
  /** Every pod of the cluster, for each node's load. */
  listPods(): Promise<KubePod[]>;
  /** Whether that pod (that uid) still exists: an evicted pod is gone once its replacement has another uid. */
  podExists(pod: KubePod): Promise<boolean>;
  evict(pod: KubePod, gracePeriodSeconds: number | undefined): Promise<EvictionAnswer>;
  budgets(): Promise<KubeBudget[]>;
  serverVersion(): Promise<string>;
  /** Deprecated APIs the API server was asked for since it started (`apiserver_requested_deprecated_apis`). */
  deprecatedApis(): Promise<DeprecatedApiRequest[]>;
}

/** Where the profile's cluster is. */
export interface KubeconfigSource {
  readonly kubeconfig: string;
  readonly context?: string | undefined;
}

/** The longest `/metrics` answer read: a large API server's is a few MiB. */
const METRICS_MAX_BYTES = 64 * 1024 * 1024;
const METRICS_TIMEOUT_MS = 30_000;

type ClientNode = typeof import("@kubernetes/client-node");
type ApiErrorClass = ClientNode["ApiException"];
let clientNodeModule: Promise<ClientNode> | undefined;

/** Imported on first use: the library takes about half a second to load, which every start of the service paid. */
function loadClientNode(): Promise<ClientNode> {
  clientNodeModule ??= import("@kubernetes/client-node");
  return clientNodeModule;
}

/** The Kubernetes API through `@kubernetes/client-node`, configured from the operator's kubeconfig file. */
export async function clientNodeApi(source: KubeconfigSource): Promise<KubernetesApi> {
  const { ApiException, CoreV1Api, KubeConfig, PatchStrategy, PolicyV1Api, VersionApi, setHeaderOptions } =
    await loadClientNode();
  const config = new KubeConfig();
  config.loadFromFile(source.kubeconfig);
  if (source.context !== undefined) config.setCurrentContext(source.context);
  const core = config.makeApiClient(CoreV1Api);
  const policy = config.makeApiClient(PolicyV1Api);
  const version = config.makeApiClient(VersionApi);
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  const notFoundAsUndefined = <T>(read: () => Promise<T>) => orUndefinedWhenMissing(read, ApiException);
  return {
    async listNodes() {
      return (await core.listNode()).items.map(toKubeNode);
    },
    async readNode(name) {
      return notFoundAsUndefined(async () => toKubeNode(await core.readNode({ name })));
    },
    async setUnschedulable(name, unschedulable) {
      // `null` removes the field, as `kubectl uncordon` leaves it.
      await core.patchNode({ name, body: { spec: { unschedulable: unschedulable || null } } }, mergePatch);
    },
    async podsOn(nodeName) {
      const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` });
      return pods.items.map(toKubePod);
    },
    async listPods() {
      return (await core.listPodForAllNamespaces()).items.map(toKubePod);
    },
    async podExists(pod) {
      const found = await notFoundAsUndefined(() =>
        core.readNamespacedPod({ name: pod.name, namespace: pod.namespace }),
      );
      return found?.metadata?.uid === pod.uid;
    },
    evict: (pod, gracePeriodSeconds) => evictPod(core, pod, gracePeriodSeconds, ApiException),
    async budgets() {
      const list = await policy.listPodDisruptionBudgetForAllNamespaces();
      return list.items.map((budget) => ({
        namespace: budget.metadata?.namespace ?? "",
        name: budget.metadata?.name ?? "",
        selector: budget.spec?.selector,
        disruptionsAllowed: budget.status?.disruptionsAllowed ?? 0,
        expectedPods: budget.status?.expectedPods ?? 0,
      }));
    },
    async serverVersion() {
      return (await version.getCode()).gitVersion;
    },
    async deprecatedApis() {
      return parseDeprecatedApis(await readMetrics(config));
    },
  };
}

async function evictPod(
  core: CoreV1Api,
  pod: KubePod,
  gracePeriodSeconds: number | undefined,
  ApiException: ApiErrorClass,
) {
  const body = {
    apiVersion: "policy/v1",
    kind: "Eviction",
    metadata: { name: pod.name, namespace: pod.namespace },
    // The uid precondition: never evict a replacement that took the pod's name meanwhile.
    deleteOptions: {
      preconditions: { uid: pod.uid },
      ...(gracePeriodSeconds !== undefined && { gracePeriodSeconds }),
    },
  };
  try {
    await core.createNamespacedPodEviction({ name: pod.name, namespace: pod.namespace, body });
    return { kind: "evicted" } as const;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const message = statusMessage(error.body);
    if (error.code === 404 || error.code === 409) return { kind: "gone" } as const;
    if (error.code === 429) return { kind: "blocked", message } as const;
    return { kind: "failed", status: error.code, message } as const;
  }
}

/** A v1 Status body's message and its causes, whatever form the client left the body in. */
function statusMessage(body: unknown): string {
  const status = typeof body === "string" ? safeJson(body) : body;
  if (typeof status !== "object" || status === null) return "";
  const { message, details } = status as { message?: unknown; details?: { causes?: { message?: unknown }[] } };
  const causes = (details?.causes ?? []).map((cause) => cause.message).filter((m) => typeof m === "string");
  return [typeof message === "string" ? message : "", ...causes].filter(Boolean).join(" ");
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function orUndefinedWhenMissing<T>(read: () => Promise<T>, ApiException: ApiErrorClass): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

function toKubeNode(node: V1Node): KubeNode {
  const ready = node.status?.conditions?.find((condition) => condition.type === "Ready");
  return {
    uid: node.metadata?.uid ?? "",
    name: node.metadata?.name ?? "",
    labels: node.metadata?.labels ?? {},
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion ?? "",
    ready: ready?.status === "True",
    unschedulable: node.spec?.unschedulable === true,
  };
}

function toKubePod(pod: V1Pod): KubePod {
  const owners = pod.metadata?.ownerReferences ?? [];
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    uid: pod.metadata?.uid ?? "",
    nodeName: pod.spec?.nodeName ?? "",
    labels: pod.metadata?.labels ?? {},
    daemonSet: owners.some((owner) => owner.kind === "DaemonSet" && owner.controller === true),
    mirror: pod.metadata?.annotations?.["kubernetes.io/config.mirror"] !== undefined,
    emptyDir: (pod.spec?.volumes ?? []).some((volume) => volume.emptyDir !== undefined),
    finished: pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed",
  };
}

/** The pool a node is in by the profile's label. */
export function poolOf(node: KubeNode, poolLabel: string): string {
  return node.labels[poolLabel] || DEFAULT_POOL;
}

/** GET /metrics with the kubeconfig's credentials and CA; bounded in size and time. */
async function readMetrics(config: KubeConfig): Promise<string> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig names no server");
  const url = new URL("/metrics", server);
  const options: https.RequestOptions = { method: "GET", timeout: METRICS_TIMEOUT_MS };
  await config.applyToHTTPSOptions(options);
  const transport = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, options, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > METRICS_MAX_BYTES) request.destroy(new Error("the /metrics answer is too large"));
        else chunks.push(chunk);
      });
      response.on("end", () => {
        if (response.statusCode === 200) resolve(Buffer.concat(chunks).toString("utf8"));
        else reject(new Error(`GET /metrics answered ${response.statusCode}`));
      });
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error("GET /metrics timed out")));
    request.on("error", reject);
    request.end();
  });
}

const DEPRECATED_SAMPLE = /^apiserver_requested_deprecated_apis\{([^}]*)\}\s+(\S+)/;
const LABEL = /([a-z_]+)="((?:[^"\\]|\\.)*)"/g;

/** The `apiserver_requested_deprecated_apis` samples of a Prometheus text exposition, value 1 (requested). */
export function parseDeprecatedApis(metrics: string): DeprecatedApiRequest[] {
  const found: DeprecatedApiRequest[] = [];
  for (const line of metrics.split("\n")) {
    const sample = DEPRECATED_SAMPLE.exec(line);
    if (!sample || Number(sample[2]) !== 1) continue;
    const labels = Object.fromEntries(Array.from((sample[1] ?? "").matchAll(LABEL), (m) => [m[1], m[2] ?? ""]));
    found.push({
      group: labels.group ?? "",
      version: labels.version ?? "",
      resource: labels.resource ?? "",
      removedRelease: labels.removed_release ?? "",
    });
  }
  return found;
}
