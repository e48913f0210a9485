import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer, Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

type Json = { [key: string]: unknown };
type Labels = Record<string, string>;

/** What `addNode` takes. */
export interface FakeNodeSpec {
  readonly name: string;
  /** Added to the kubelet's own `kubernetes.io/{hostname,os,arch}` labels. */
  readonly labels?: Labels;
  readonly kubeletVersion: string;
  /** True unless said otherwise. */
  readonly ready?: boolean;
  readonly unschedulable?: boolean;
}

/** The controller that owns a pod; a ReplicaSet's or a StatefulSet's pods come back when they go. */
export interface FakeOwner {
  readonly kind: "ReplicaSet" | "DaemonSet" | "StatefulSet" | "Job";
  readonly name: string;
}

/** What `addPod` takes: a Running, Ready pod. */
export interface FakePodSpec {
  /** `default` unless said otherwise. */
  readonly namespace?: string;
  readonly name: string;
  readonly nodeName: string;
  readonly labels?: Labels;
  readonly owner?: FakeOwner;
  /** A static pod's mirror: annotated `kubernetes.io/config.mirror`, owned by its node, recreated by its kubelet. */
  readonly mirror?: boolean;
  /** The pod has an `emptyDir` volume (local data that `kubectl drain` wants `--delete-emptydir-data` for). */
  readonly emptyDir?: boolean;
}

/** What `addPdb` takes: a policy/v1 PodDisruptionBudget with either `minAvailable` or `maxUnavailable`. */
export interface FakePdbSpec {
  readonly namespace?: string;
  readonly name: string;
  readonly matchLabels: Labels;
  readonly minAvailable?: number;
  readonly maxUnavailable?: number;
}

export interface FakeNodeView {
  readonly name: string;
  readonly uid: string;
  readonly labels: Labels;
  readonly kubeletVersion: string;
  readonly ready: boolean;
  readonly unschedulable: boolean;
}

export interface FakePodView {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** `undefined` while the pod is Pending for want of a node. */
  readonly nodeName: string | undefined;
  readonly labels: Labels;
  readonly owner: FakeOwner | undefined;
  readonly ready: boolean;
}

/** One eviction request and the status it was answered with. */
export interface FakeEviction {
  readonly namespace: string;
  readonly name: string;
  /** The evicted pod's uid and node, `""` for a pod that was not there. */
  readonly uid: string;
  readonly nodeName: string;
  readonly status: number;
  /** `Date.now()` when it was answered. */
  readonly at: number;
}

export interface FakeRequest {
  readonly method: string;
  /** The path with its query string, as sent. */
  readonly path: string;
  readonly contentType?: string;
}

export interface DeprecatedApi {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly removedRelease: string;
}

/** How a node's simulated kubelet comes back from an upgrade. */
export interface KubeletBehaviour {
  /** How long the node stays NotReady; 50 ms unless said otherwise. */
  readonly readyAfterMs?: number;
  readonly neverReady?: boolean;
  /** Stays NotReady until `kubelet.release(name)`, for tests that must see the NotReady window whatever the load. */
  readonly untilReleased?: boolean;
  /** The version the node reports afterwards instead of the one it was asked for. */
  readonly reportVersion?: string;
}

export interface FakeKubernetes {
  /** `http://127.0.0.1:PORT` (@kubernetes/client-node 1.x takes an `http://` server only with `skipTLSVerify`). */
  readonly url: string;
  /** `https://127.0.0.1:PORT`: the same server over TLS, with a self-signed certificate. */
  readonly httpsUrl: string;
  /**
   * A kubeconfig whose current context `fake` reaches this server with the bearer token. Its server is `httpsUrl`
   * (the certificate as its CA): kubectl's client-go sends a kubeconfig's credentials to `https://` servers only.
   */
  readonly kubeconfigPath: string;
  /** The bearer token every request needs (401 without it). */
  readonly token: string;
  /** Stops the server and removes the kubeconfig's directory. */
  close(): Promise<void>;
  addNode(node: FakeNodeSpec): void;
  /** The node leaves the cluster (its object is deleted, as when a cloud controller removes a machine). */
  removeNode(name: string): void;
  addPod(pod: FakePodSpec): void;
  addPdb(pdb: FakePdbSpec): void;
  node(name: string): FakeNodeView | undefined;
  nodes(): FakeNodeView[];
  pods(): FakePodView[];
  /** Every eviction request, in order. */
  readonly evictions: readonly FakeEviction[];
  /** Every request, in order, the unauthorised ones too. */
  readonly requests: readonly FakeRequest[];
  setGitVersion(version: string): void;
  /** The `apiserver_requested_deprecated_apis` series `/metrics` shows. */
  setDeprecatedApis(apis: readonly DeprecatedApi[]): void;
  setNodeReady(name: string, ready: boolean): void;
  /** Every upgrade the simulated kubelets were asked for (`POST /fake/kubelet/{node}/upgrade`), in order. */
  readonly kubelet: {
    readonly upgrades: readonly { readonly node: string; readonly version: string }[];
    /** Brings back a kubelet held by `untilReleased`. */
    release(name: string): void;
  };
  setKubeletBehaviour(name: string, behaviour: KubeletBehaviour): void;
  /** Every version `POST /fake/control-plane/upgrade` asked for; `/version` reports the last one (revision dropped). */
  readonly controlPlane: { readonly upgrades: readonly string[] };
}

/**
 * A stateful fake of the Kubernetes API server on loopback (plain HTTP), faithful enough for kubectl's get, cordon,
 * uncordon and drain and for @kubernetes/client-node: nodes, pods, PodDisruptionBudgets, the eviction subresource,
 * controllers that replace evicted pods, discovery, Table output, /version and /metrics, plus a simulated kubelet
 * that an exec hook (test/drivers/scripts/kubelet-upgrade.mjs) upgrades through `POST /fake/kubelet/{node}/upgrade`.
 */
export async function startFakeKubernetes(
  options: { gitVersion?: string; replacementReadyMs?: number } = {},
): Promise<FakeKubernetes> {
  const cluster = new Cluster(options.replacementReadyMs ?? 0);
  let gitVersion = options.gitVersion ?? "v1.28.5";
  let deprecatedApis: readonly DeprecatedApi[] = [];
  const token = randomBytes(24).toString("hex");
  const requests: FakeRequest[] = [];
  const controlPlaneUpgrades: string[] = [];

  const answerRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const contentType = req.headers["content-type"];
    requests.push({ method, path, ...(contentType !== undefined && { contentType }) });
    let answer: Answer;
    try {
      if (req.headers.authorization !== `Bearer ${token}`) throw new StatusError(401, "Unauthorized", "Unauthorized");
      const request = { method, url: new URL(path, "http://fake"), headers: req.headers, body: Buffer.concat(chunks) };
      if (method === "POST" && path === "/fake/control-plane/upgrade") {
        const { version } = JSON.parse(request.body.toString("utf8")) as { version: string };
        controlPlaneUpgrades.push(version);
        gitVersion = releaseVersion(version);
        answer = { status: 200, body: { gitVersion } };
      } else answer = route(request, cluster, { gitVersion, deprecatedApis, host: req.headers.host ?? "" });
    } catch (error) {
      const refusal =
        error instanceof StatusError ? error : new StatusError(500, "InternalError", (error as Error).message);
      answer = { status: refusal.code, body: refusal.status() };
    }
    const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, { "content-type": answer.contentType ?? "application/json" }).end(text);
  };
  const directory = await mkdtemp(join(tmpdir(), "fake-kubernetes-"));
  const certificate = await selfSignedCertificate(directory);
  const servers = [createServer(answerRequest), createHttpsServer(certificate, answerRequest)];
  const [url, httpsUrl] = await Promise.all(servers.map(listen));
  const kubeconfigPath = join(directory, "kubeconfig");
  await writeFile(kubeconfigPath, kubeconfig(httpsUrl as string, certificate.cert, token));

  return {
    url: url as string,
    httpsUrl: httpsUrl as string,
    kubeconfigPath,
    token,
    close: async () => {
      cluster.stop();
      await Promise.all(
        servers.map((server) => {
          server.closeAllConnections();
          return new Promise<void>((resolve) => server.close(() => resolve()));
        }),
      );
      await rm(directory, { recursive: true, force: true });
    },
    addNode: (node) => cluster.addNode(node),
    removeNode: (name) => {
      cluster.nodes.delete(name);
    },
    addPod: (pod) => cluster.addPod(pod),
    addPdb: (pdb) => cluster.addPdb(pdb),
    node: (name) => {
      const node = cluster.nodes.get(name);
      return node && nodeView(node);
    },
    nodes: () => [...cluster.nodes.values()].map(nodeView),
    pods: () => [...cluster.pods.values()].map((pod) => podView(pod, Date.now())),
    evictions: cluster.evictions,
    requests,
    setGitVersion: (version) => {
      gitVersion = version;
    },
    setDeprecatedApis: (apis) => {
      deprecatedApis = [...apis];
    },
    setNodeReady: (name, ready) => cluster.setNodeReady(name, ready),
    kubelet: { upgrades: cluster.upgrades, release: (name) => cluster.releaseKubelet(name) },
    controlPlane: { upgrades: controlPlaneUpgrades },
    setKubeletBehaviour: (name, behaviour) => {
      cluster.kubeletBehaviours.set(name, behaviour);
    },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const scheme = server instanceof HttpsServer ? "https" : "http";
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A throwaway certificate for 127.0.0.1, by Debian's openssl (Node can read certificates but not make them). */
async function selfSignedCertificate(directory: string): Promise<{ key: string; cert: string }> {
  const [keyPath, certPath] = [join(directory, "tls.key"), join(directory, "tls.crt")];
  await promisify(execFile)("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"],
    ...["-subj", "/CN=fake-kubernetes", "-addext", "subjectAltName=IP:127.0.0.1"],
    ...["-keyout", keyPath, "-out", certPath],
  ]);
  return { key: await readFile(keyPath, "utf8"), cert: await readFile(certPath, "utf8") };
}

function kubeconfig(server: string, certificate: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster:
      server: ${server}
      certificate-authority-data: ${Buffer.from(certificate).toString("base64")}
users:
  - name: fake
    user:
      token: ${token}
contexts:
  - name: fake
    context:
      cluster: fake
      user: fake
current-context: fake
`;
}

// ---------------------------------------------------------------------------------------------------------------
// The cluster: what the API server stores, and the controllers, scheduler and kubelets that act on it.

interface Metadata extends Json {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  labels?: Labels;
  annotations?: Labels;
}

interface KubeObject extends Json {
  metadata: Metadata;
}

interface Condition extends Json {
  type: string;
  status: "True" | "False" | "Unknown";
}

/** Nodes are stored whole, as a patch may set any field of them. */
interface NodeObject extends KubeObject {
  spec: Json & { unschedulable?: boolean };
  status: Json & { conditions: Condition[]; nodeInfo: Json & { kubeletVersion: string } };
}

interface PodRecord {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Labels;
  readonly owner: FakeOwner | undefined;
  readonly mirror: boolean;
  readonly emptyDir: boolean;
  readonly created: number;
  readonly resourceVersion: string;
  readonly ip: string;
  /** Unset while Pending: no node would take it. */
  nodeName: string | undefined;
  /** When it is (or becomes) Ready; unset while Pending. */
  readyAt: number | undefined;
}

interface PdbRecord extends FakePdbSpec {
  readonly namespace: string;
  readonly uid: string;
  readonly created: number;
  readonly resourceVersion: string;
}

/** A controller named by the pods it owns; it exists from its first pod on. */
interface Workload {
  readonly kind: FakeOwner["kind"];
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly created: number;
  readonly selector: Labels;
}

interface PdbStatus {
  readonly currentHealthy: number;
  readonly desiredHealthy: number;
  readonly expectedPods: number;
  readonly disruptionsAllowed: number;
}

const SYSTEM_NAMESPACES = ["default", "kube-node-lease", "kube-public", "kube-system"];
/** The kubelet's default for how long a node stays NotReady through an upgrade. */
const DEFAULT_KUBELET_RESTART_MS = 50;
/** The alphabet of the random suffixes Kubernetes names generated objects with. */
const NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

class Cluster {
  readonly nodes = new Map<string, NodeObject>();
  /** By `namespace/name`. */
  readonly pods = new Map<string, PodRecord>();
  readonly pdbs = new Map<string, PdbRecord>();
  readonly workloads = new Map<string, Workload>();
  readonly namespaces = new Map<string, { uid: string; created: number }>();
  readonly evictions: FakeEviction[] = [];
  readonly upgrades: { node: string; version: string }[] = [];
  readonly kubeletBehaviours = new Map<string, KubeletBehaviour>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #heldKubelets = new Map<string, () => void>();
  #revision = 0;
  #nodesCreated = 0;
  #podsCreated = 0;

  constructor(readonly replacementReadyMs: number) {
    for (const namespace of SYSTEM_NAMESPACES) this.#ensureNamespace(namespace);
  }

  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
  }

  /** The store's revision, bumped by every write, like etcd's. */
  get revision(): string {
    return String(this.#revision);
  }

  #nextRevision(): string {
    this.#revision += 1;
    return this.revision;
  }

  addNode(spec: FakeNodeSpec): void {
    if (this.nodes.has(spec.name)) throw new Error(`node ${spec.name} exists already`);
    const created = timestamp(Date.now());
    this.#nodesCreated += 1;
    const address = this.#nodesCreated;
    this.nodes.set(spec.name, {
      metadata: {
        name: spec.name,
        uid: randomUUID(),
        resourceVersion: this.#nextRevision(),
        creationTimestamp: created,
        labels: {
          "kubernetes.io/arch": "amd64",
          "kubernetes.io/hostname": spec.name,
          "kubernetes.io/os": "linux",
          ...spec.labels,
        },
        annotations: { "node.alpha.kubernetes.io/ttl": "0" },
      },
      spec: { podCIDR: `10.244.${address}.0/24`, ...(spec.unschedulable && { unschedulable: true }) },
      status: {
        capacity: { cpu: "4", memory: "16374060Ki", pods: "110" },
        allocatable: { cpu: "3920m", memory: "14871340Ki", pods: "110" },
        conditions: [
          ...["MemoryPressure", "DiskPressure", "PIDPressure"].map((type) => healthyPressure(type, created)),
          readyCondition(spec.ready ?? true, created),
        ],
        addresses: [
          { type: "InternalIP", address: `10.0.0.${address}` },
          { type: "Hostname", address: spec.name },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          machineID: randomBytes(16).toString("hex"),
          systemUUID: randomUUID(),
          bootID: randomUUID(),
          kernelVersion: "6.1.0-18-amd64",
          osImage: "Debian GNU/Linux 12 (bookworm)",
          containerRuntimeVersion: "containerd://1.7.13",
          kubeletVersion: spec.kubeletVersion,
          kubeProxyVersion: spec.kubeletVersion,
          operatingSystem: "linux",
          architecture: "amd64",
        },
      },
    });
    this.schedulePending();
  }

  addPod(spec: FakePodSpec): void {
    if (!this.nodes.has(spec.nodeName)) throw new Error(`pod ${spec.name}: no node ${spec.nodeName}`);
    const now = Date.now();
    this.#createPod({
      namespace: spec.namespace ?? "default",
      name: spec.name,
      labels: { ...spec.labels },
      owner: spec.owner,
      mirror: spec.mirror ?? false,
      emptyDir: spec.emptyDir ?? false,
      nodeName: spec.nodeName,
      readyAt: now,
    });
  }

  addPdb(spec: FakePdbSpec): void {
    if ((spec.minAvailable === undefined) === (spec.maxUnavailable === undefined)) {
      throw new Error(`PDB ${spec.name}: give one of minAvailable and maxUnavailable`);
    }
    const namespace = spec.namespace ?? "default";
    this.#ensureNamespace(namespace);
    this.pdbs.set(`${namespace}/${spec.name}`, {
      ...spec,
      namespace,
      uid: randomUUID(),
      created: Date.now(),
      resourceVersion: this.#nextRevision(),
    });
  }

  node(name: string): NodeObject {
    const node = this.nodes.get(name);
    if (!node) throw notFound("", "nodes", name);
    return node;
  }

  pod(namespace: string, name: string): PodRecord {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) throw notFound("", "pods", name);
    return pod;
  }

  setNodeReady(name: string, ready: boolean): void {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node ${name}`);
    const conditions = node.status.conditions.filter((condition) => condition.type !== "Ready");
    node.status.conditions = [...conditions, readyCondition(ready, timestamp(Date.now()))];
    node.metadata.resourceVersion = this.#nextRevision();
    if (ready) this.schedulePending();
  }

  /** A JSON merge patch (RFC 7386) of a node; its identity and status stay the server's. */
  patchNode(name: string, patch: unknown): NodeObject {
    const node = this.node(name);
    const patched = mergePatch(node, patch) as NodeObject;
    const { uid, creationTimestamp } = node.metadata;
    const updated: NodeObject = {
      metadata: { ...patched.metadata, name, uid, creationTimestamp, resourceVersion: this.#nextRevision() },
      spec: isObject(patched.spec) ? patched.spec : {},
      status: node.status,
    };
    this.nodes.set(name, updated);
    this.schedulePending();
    return updated;
  }

  /** Deletes a pod at once (no grace period); its controller or kubelet replaces it. */
  deletePod(pod: PodRecord): void {
    this.pods.delete(`${pod.namespace}/${pod.name}`);
    this.#replace(pod);
  }

  /** The eviction subresource, as the API server decides it: a PodDisruptionBudget may refuse, else the pod goes. */
  evict(namespace: string, name: string, eviction: Json): Json {
    const pod = this.pods.get(`${namespace}/${name}`);
    const log = (status: number) =>
      this.evictions.push({
        namespace,
        name,
        uid: pod?.uid ?? "",
        nodeName: pod?.nodeName ?? "",
        status,
        at: Date.now(),
      });
    try {
      const evicted = this.#checkEviction(namespace, name, eviction);
      this.deletePod(evicted);
      log(201);
      return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };
    } catch (error) {
      if (error instanceof StatusError) log(error.code);
      throw error;
    }
  }

  /** The live status of a budget, as the disruption controller computes it. */
  pdbStatus(pdb: PdbRecord): PdbStatus {
    const now = Date.now();
    const matching = [...this.pods.values()].filter((pod) => selects(pdb, pod));
    const currentHealthy = matching.filter((pod) => isReady(pod, now)).length;
    const expectedPods = matching.length;
    const desiredHealthy =
      pdb.minAvailable !== undefined ? pdb.minAvailable : Math.max(0, expectedPods - (pdb.maxUnavailable ?? 0));
    return {
      currentHealthy,
      desiredHealthy,
      expectedPods,
      disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy),
    };
  }

  /** The simulated kubelet: down at once, back after its restart time, reporting the version it was given. */
  upgradeKubelet(name: string, version: string): void {
    this.node(name); // 404 for a node there is not
    this.upgrades.push({ node: name, version });
    this.setNodeReady(name, false);
    const behaviour = this.kubeletBehaviours.get(name) ?? {};
    if (behaviour.neverReady) return;
    const comeBack = () => {
      const node = this.nodes.get(name);
      if (!node) return;
      node.status.nodeInfo.kubeletVersion = behaviour.reportVersion ?? releaseVersion(version);
      node.status.nodeInfo.kubeProxyVersion = node.status.nodeInfo.kubeletVersion;
      this.setNodeReady(name, true);
    };
    if (behaviour.untilReleased) {
      this.#heldKubelets.set(name, comeBack);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      comeBack();
    }, behaviour.readyAfterMs ?? DEFAULT_KUBELET_RESTART_MS);
    this.#timers.add(timer);
  }

  releaseKubelet(name: string): void {
    const comeBack = this.#heldKubelets.get(name);
    this.#heldKubelets.delete(name);
    comeBack?.();
  }

  /** The scheduler's pass over Pending pods, run whenever a node may have become able to take one. */
  schedulePending(): void {
    const pending = [...this.pods.values()].filter((pod) => pod.nodeName === undefined);
    for (const pod of pending.sort((a, b) => a.created - b.created)) {
      const nodeName = this.#pickNode();
      if (nodeName === undefined) return;
      pod.nodeName = nodeName;
      pod.readyAt = Date.now() + this.replacementReadyMs;
    }
  }

  #checkEviction(namespace: string, name: string, eviction: Json): PodRecord {
    const metadata = isObject(eviction.metadata) ? eviction.metadata : {};
    if (eviction.kind !== undefined && eviction.kind !== "Eviction") {
      throw new StatusError(400, "BadRequest", `expected an Eviction, got ${String(eviction.kind)}`);
    }
    if (metadata.name !== name) {
      throw new StatusError(400, "BadRequest", "name in URL does not match name in Eviction object");
    }
    const pod = this.pod(namespace, name);
    const options = isObject(eviction.deleteOptions) ? eviction.deleteOptions : {};
    const preconditions = isObject(options.preconditions) ? options.preconditions : {};
    if (preconditions.uid !== undefined && preconditions.uid !== pod.uid) {
      const message = `Precondition failed: UID in precondition: ${String(preconditions.uid)}, UID in object meta: ${pod.uid}`;
      throw new StatusError(409, "Conflict", message, { name, kind: "pods" });
    }
    // A pod that is not running yet can go whatever its budget says.
    if (pod.nodeName === undefined) return pod;
    const budgets = [...this.pdbs.values()].filter((pdb) => selects(pdb, pod));
    if (budgets.length > 1) {
      const message =
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.";
      throw new StatusError(500, "InternalError", message);
    }
    const [budget] = budgets;
    if (budget === undefined) return pod;
    const status = this.pdbStatus(budget);
    // The default unhealthyPodEvictionPolicy (IfHealthyBudget): an unready pod goes while the budget is met.
    const unhealthyButBudgetMet =
      !isReady(pod, Date.now()) && status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0;
    if (unhealthyButBudgetMet || status.disruptionsAllowed > 0) return pod;
    const cause = {
      reason: "DisruptionBudget",
      message: `The disruption budget ${budget.name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
    };
    throw new StatusError(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", {
      causes: [cause],
    });
  }

  /**
   * What the owner of a deleted pod does: a ReplicaSet makes a new one, a StatefulSet the same name again, both on
   * another node (Pending while there is none); a DaemonSet and a static pod's kubelet bring it back on the same node;
   * a Job's pod stays gone.
   */
  #replace(pod: PodRecord): void {
    const { kind, name } = pod.owner ?? { kind: undefined, name: "" };
    const boundHere = pod.mirror || kind === "DaemonSet";
    if (!boundHere && kind !== "ReplicaSet" && kind !== "StatefulSet") return;
    const newName = pod.mirror || kind === "StatefulSet" ? pod.name : `${name}-${nameSuffix()}`;
    const nodeName = boundHere ? pod.nodeName : this.#pickNode(pod.nodeName);
    this.#createPod({
      ...pod,
      name: newName,
      nodeName,
      readyAt: nodeName === undefined ? undefined : Date.now() + this.replacementReadyMs,
    });
  }

  /** The schedulable, Ready node with the fewest pods (the first by name on a tie), other than `leaving`. */
  #pickNode(leaving?: string): string | undefined {
    const candidates = [...this.nodes.values()]
      .filter((node) => !node.spec.unschedulable && nodeReady(node) && node.metadata.name !== leaving)
      .map((node) => node.metadata.name)
      .sort();
    const load = (nodeName: string) => [...this.pods.values()].filter((pod) => pod.nodeName === nodeName).length;
    return candidates.reduce<string | undefined>(
      (best, nodeName) => (best === undefined || load(nodeName) < load(best) ? nodeName : best),
      undefined,
    );
  }

  #createPod(pod: Omit<PodRecord, "uid" | "created" | "resourceVersion" | "ip">): void {
    const key = `${pod.namespace}/${pod.name}`;
    if (this.pods.has(key)) throw new Error(`pod ${key} exists already`);
    this.#ensureNamespace(pod.namespace);
    if (pod.owner) this.#ensureWorkload(pod.namespace, pod.owner, pod.labels);
    const created = Date.now();
    this.#podsCreated += 1;
    const ip = `10.244.${Math.floor(this.#podsCreated / 250)}.${(this.#podsCreated % 250) + 2}`;
    this.pods.set(key, { ...pod, uid: randomUUID(), created, resourceVersion: this.#nextRevision(), ip });
  }

  #ensureWorkload(namespace: string, owner: FakeOwner, selector: Labels): void {
    const key = workloadKey(owner.kind, namespace, owner.name);
    if (this.workloads.has(key)) return;
    this.workloads.set(key, { ...owner, namespace, uid: randomUUID(), created: Date.now(), selector });
  }

  #ensureNamespace(name: string): void {
    if (!this.namespaces.has(name)) this.namespaces.set(name, { uid: randomUUID(), created: Date.now() });
  }
}

function workloadKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function selects(pdb: PdbRecord, pod: PodRecord): boolean {
  return pdb.namespace === pod.namespace && Object.entries(pdb.matchLabels).every(([k, v]) => pod.labels[k] === v);
}

function isReady(pod: PodRecord, now: number): boolean {
  return pod.readyAt !== undefined && now >= pod.readyAt;
}

function nodeReady(node: NodeObject): boolean {
  return node.status.conditions.some((condition) => condition.type === "Ready" && condition.status === "True");
}

function nodeView(node: NodeObject): FakeNodeView {
  return {
    name: node.metadata.name,
    uid: node.metadata.uid,
    labels: { ...node.metadata.labels },
    kubeletVersion: node.status.nodeInfo.kubeletVersion,
    ready: nodeReady(node),
    unschedulable: node.spec.unschedulable === true,
  };
}

function podView(pod: PodRecord, now: number): FakePodView {
  const { namespace, name, uid, nodeName, labels, owner } = pod;
  return { namespace, name, uid, nodeName, labels: { ...labels }, owner, ready: isReady(pod, now) };
}

/** A CCE version as a kubelet reports it: `v1.29` is `v1.29.0`, `v1.29.13-r10` is `v1.29.13`. */
function releaseVersion(version: string): string {
  // CCE's revision (`-r10`) is CCE's own, not Kubernetes'.
  const kubernetes = version.replace(/-r\d+$/, "");
  return /^v?\d+\.\d+$/.test(kubernetes) ? `v${kubernetes.replace(/^v/, "")}.0` : kubernetes;
}

function nameSuffix(): string {
  return Array.from(randomBytes(5), (byte) => NAME_SUFFIX_ALPHABET[byte % NAME_SUFFIX_ALPHABET.length]).join("");
}

/** RFC 3339 to the second, as the API server writes times. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function healthyPressure(type: string, at: string): Condition {
  const reason = `KubeletHasNo${type.replace("Pressure", "")}Pressure`;
  return {
    type,
    status: "False",
    reason,
    message: `kubelet has no ${type}`,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
  };
}

function readyCondition(ready: boolean, at: string): Condition {
  const [reason, message] = ready
    ? ["KubeletReady", "kubelet is posting ready status"]
    : ["KubeletNotReady", "container runtime network not ready: NetworkReady=false"];
  return {
    type: "Ready",
    status: ready ? "True" : "False",
    reason,
    message,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
  };
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** RFC 7386: objects merge key by key, `null` removes a key, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering: the objects as the API server sends them.

function podObject(pod: PodRecord, cluster: Cluster, now: number): KubeObject {
  const node = pod.nodeName === undefined ? undefined : cluster.nodes.get(pod.nodeName);
  const ready = isReady(pod, now);
  const created = timestamp(pod.created);
  const annotations = pod.mirror ? mirrorAnnotations(pod.uid) : undefined;
  const owner = podOwnerReference(pod, cluster, node);
  const volumes = pod.emptyDir ? [{ name: "scratch", emptyDir: {} }] : undefined;
  return {
    metadata: {
      name: pod.name,
      ...(pod.owner?.kind === "ReplicaSet" && { generateName: `${pod.owner.name}-` }),
      namespace: pod.namespace,
      uid: pod.uid,
      resourceVersion: pod.resourceVersion,
      creationTimestamp: created,
      labels: pod.labels,
      ...(annotations && { annotations }),
      ...(owner && { ownerReferences: [owner] }),
    },
    spec: {
      ...(volumes && { volumes }),
      containers: [
        {
          name: "app",
          image: "registry.k8s.io/pause:3.9",
          resources: {},
          ...(volumes && { volumeMounts: [{ name: "scratch", mountPath: "/scratch" }] }),
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "IfNotPresent",
        },
      ],
      restartPolicy: pod.owner?.kind === "Job" ? "Never" : "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      serviceAccount: "default",
      ...(pod.nodeName !== undefined && { nodeName: pod.nodeName }),
      securityContext: {},
      schedulerName: "default-scheduler",
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status:
      pod.nodeName === undefined || pod.readyAt === undefined
        ? pendingStatus(cluster.nodes.size, created)
        : runningStatus(pod, ready, nodeAddress(node), created),
  };
}

function mirrorAnnotations(uid: string): Labels {
  const hash = uid.replaceAll("-", "");
  return {
    "kubernetes.io/config.hash": hash,
    "kubernetes.io/config.mirror": hash,
    "kubernetes.io/config.source": "file",
  };
}

/** A controller's pod points at it; a static pod's mirror at its node. */
function podOwnerReference(pod: PodRecord, cluster: Cluster, node: NodeObject | undefined): Json | undefined {
  if (pod.owner) {
    const workload = cluster.workloads.get(workloadKey(pod.owner.kind, pod.namespace, pod.owner.name));
    const apiVersion = pod.owner.kind === "Job" ? "batch/v1" : "apps/v1";
    const { kind, name } = pod.owner;
    return { apiVersion, kind, name, uid: workload?.uid, controller: true, blockOwnerDeletion: true };
  }
  if (pod.mirror && node) {
    return { apiVersion: "v1", kind: "Node", name: node.metadata.name, uid: node.metadata.uid, controller: true };
  }
  return undefined;
}

function nodeAddress(node: NodeObject | undefined): string {
  const addresses = (node?.status.addresses ?? []) as { type: string; address: string }[];
  return addresses.find((address) => address.type === "InternalIP")?.address ?? "";
}

function pendingStatus(nodeCount: number, created: string): Json {
  const message = `0/${nodeCount} nodes are available: no node is both Ready and schedulable.`;
  return {
    phase: "Pending",
    conditions: [
      {
        type: "PodScheduled",
        status: "False",
        lastProbeTime: null,
        lastTransitionTime: created,
        reason: "Unschedulable",
        message,
      },
    ],
    qosClass: "BestEffort",
  };
}

function runningStatus(pod: PodRecord, ready: boolean, hostIP: string, created: string): Json {
  const readiness = ready
    ? { status: "True", lastTransitionTime: timestamp(pod.readyAt ?? pod.created) }
    : { status: "False", reason: "ContainersNotReady", message: "containers with unready status: [app]" };
  const condition = (type: string) => ({ type, lastProbeTime: null, lastTransitionTime: created, ...readiness });
  return {
    phase: "Running",
    conditions: [
      { type: "Initialized", status: "True", lastProbeTime: null, lastTransitionTime: created },
      condition("Ready"),
      condition("ContainersReady"),
      { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: created },
    ],
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP: pod.ip,
    podIPs: [{ ip: pod.ip }],
    startTime: created,
    containerStatuses: [
      {
        name: "app",
        state: { running: { startedAt: created } },
        lastState: {},
        ready,
        restartCount: 0,
        image: "registry.k8s.io/pause:3.9",
        imageID: "registry.k8s.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097",
        containerID: `containerd://${pod.uid.replaceAll("-", "")}`,
        started: true,
      },
    ],
    qosClass: "BestEffort",
  };
}

function pdbObject(pdb: PdbRecord, status: PdbStatus): KubeObject {
  const allowed = status.disruptionsAllowed > 0;
  return {
    metadata: {
      name: pdb.name,
      namespace: pdb.namespace,
      uid: pdb.uid,
      resourceVersion: pdb.resourceVersion,
      generation: 1,
      creationTimestamp: timestamp(pdb.created),
    },
    spec: {
      ...(pdb.minAvailable !== undefined && { minAvailable: pdb.minAvailable }),
      ...(pdb.maxUnavailable !== undefined && { maxUnavailable: pdb.maxUnavailable }),
      selector: { matchLabels: pdb.matchLabels },
    },
    status: {
      observedGeneration: 1,
      ...status,
      conditions: [
        {
          type: "DisruptionAllowed",
          status: allowed ? "True" : "False",
          observedGeneration: 1,
          lastTransitionTime: timestamp(pdb.created),
          reason: allowed ? "SufficientPods" : "InsufficientPods",
          message: "",
        },
      ],
    },
  };
}

function workloadObject(workload: Workload, pods: PodRecord[], now: number): KubeObject {
  const ready = pods.filter((pod) => isReady(pod, now)).length;
  const replicas = pods.length;
  const status =
    workload.kind === "DaemonSet"
      ? {
          currentNumberScheduled: replicas,
          desiredNumberScheduled: replicas,
          numberMisscheduled: 0,
          numberReady: ready,
          numberAvailable: ready,
          updatedNumberScheduled: replicas,
          observedGeneration: 1,
        }
      : { replicas, readyReplicas: ready, availableReplicas: ready, observedGeneration: 1 };
  return {
    metadata: {
      name: workload.name,
      namespace: workload.namespace,
      uid: workload.uid,
      resourceVersion: "1",
      generation: 1,
      creationTimestamp: timestamp(workload.created),
    },
    spec: {
      ...(workload.kind !== "DaemonSet" && { replicas }),
      ...(workload.kind === "StatefulSet" && { serviceName: workload.name }),
      selector: { matchLabels: workload.selector },
      template: {
        metadata: { labels: workload.selector },
        spec: { containers: [{ name: "app", image: "registry.k8s.io/pause:3.9" }] },
      },
    },
    status,
  };
}

function namespaceObject(name: string, namespace: { uid: string; created: number }): KubeObject {
  return {
    metadata: {
      name,
      uid: namespace.uid,
      resourceVersion: "1",
      creationTimestamp: timestamp(namespace.created),
      labels: { "kubernetes.io/metadata.name": name },
    },
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active" },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The resources the server serves, and their tables.

/** A column of `kubectl get`'s table, as the server defines it (kubectl prints what the server sends). */
interface Column {
  readonly name: string;
  readonly type: "string" | "integer" | "date";
  readonly format?: string;
  /** 1: only with `-o wide`. */
  readonly priority?: number;
  readonly description: string;
  cell(object: KubeObject, now: number): string | number;
}

interface Resource {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  objects(cluster: Cluster, now: number): KubeObject[];
  /** Field selector values beyond `metadata.name` and `metadata.namespace`. */
  fields?(object: KubeObject): Labels;
  readonly columns?: readonly Column[];
  patch?(cluster: Cluster, name: string, patch: unknown): KubeObject;
  delete?(cluster: Cluster, namespace: string, name: string, now: number): KubeObject;
}

const nameColumn: Column = {
  name: "Name",
  type: "string",
  format: "name",
  description: "Name must be unique within a namespace.",
  cell: (object) => object.metadata.name,
};

const ageColumn: Column = {
  name: "Age",
  type: "string",
  description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
  cell: (object, now) => humanDuration(now - Date.parse(object.metadata.creationTimestamp)),
};

/** The server's default table, for kinds without columns of their own. */
const defaultColumns: readonly Column[] = [
  nameColumn,
  {
    name: "Created At",
    type: "date",
    description: "When the object was created",
    cell: (o) => o.metadata.creationTimestamp,
  },
];

/** The value at a path of keys and array indices, `undefined` where the path breaks off. */
const get = (object: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (value, key) => (typeof value === "object" && value !== null ? (value as Json)[key] : undefined),
    object,
  );

const nodeColumns: readonly Column[] = [
  nameColumn,
  {
    name: "Status",
    type: "string",
    description: "The status of the node",
    cell: (node) => {
      const ready = nodeReady(node as NodeObject) ? "Ready" : "NotReady";
      return get(node, "spec", "unschedulable") === true ? `${ready},SchedulingDisabled` : ready;
    },
  },
  {
    name: "Roles",
    type: "string",
    description: "The roles of the node",
    cell: (node) => {
      const roles = Object.keys(node.metadata.labels ?? {})
        .filter((label) => label.startsWith("node-role.kubernetes.io/"))
        .map((label) => label.slice("node-role.kubernetes.io/".length));
      return roles.length === 0 ? "<none>" : roles.sort().join(",");
    },
  },
  ageColumn,
  {
    name: "Version",
    type: "string",
    description: "Kubelet Version reported by the node.",
    cell: (node) => String(get(node, "status", "nodeInfo", "kubeletVersion")),
  },
  {
    name: "Internal-IP",
    type: "string",
    priority: 1,
    description: "List of addresses reachable to the node.",
    cell: (node) => nodeAddress(node as NodeObject) || "<none>",
  },
  { name: "External-IP", type: "string", priority: 1, description: "External address.", cell: () => "<none>" },
  ...(["osImage", "kernelVersion", "containerRuntimeVersion"] as const).map(
    (field, index): Column => ({
      name: ["OS-Image", "Kernel-Version", "Container-Runtime"][index] as string,
      type: "string",
      priority: 1,
      description: `The node's ${field}.`,
      cell: (node) => String(get(node, "status", "nodeInfo", field)),
    }),
  ),
];

const podColumns: readonly Column[] = [
  nameColumn,
  {
    name: "Ready",
    type: "string",
    description: "The aggregate readiness state of this pod for accepting traffic.",
    cell: (pod) => (get(pod, "status", "containerStatuses", "0", "ready") === true ? "1/1" : "0/1"),
  },
  {
    name: "Status",
    type: "string",
    description: "The aggregate status of the containers in this pod.",
    cell: (pod) => String(get(pod, "status", "phase")),
  },
  { name: "Restarts", type: "string", description: "The number of times the containers restarted.", cell: () => "0" },
  ageColumn,
  {
    name: "IP",
    type: "string",
    priority: 1,
    description: "The IP address assigned to the pod.",
    cell: (pod) => String(get(pod, "status", "podIP") ?? "<none>"),
  },
  {
    name: "Node",
    type: "string",
    priority: 1,
    description: "The name of the node the pod is scheduled on.",
    cell: (pod) => String(get(pod, "spec", "nodeName") ?? "<none>"),
  },
  { name: "Nominated Node", type: "string", priority: 1, description: "Preempting node.", cell: () => "<none>" },
  { name: "Readiness Gates", type: "string", priority: 1, description: "Pod readiness gates.", cell: () => "<none>" },
];

const pdbColumns: readonly Column[] = [
  nameColumn,
  ...(["minAvailable", "maxUnavailable"] as const).map(
    (field, index): Column => ({
      name: ["Min Available", "Max Unavailable"][index] as string,
      type: "string",
      description: `The budget's ${field}.`,
      cell: (pdb) => String(get(pdb, "spec", field) ?? "N/A"),
    }),
  ),
  {
    name: "Allowed Disruptions",
    type: "integer",
    description: "Number of pod disruptions that are currently allowed.",
    cell: (pdb) => Number(get(pdb, "status", "disruptionsAllowed")),
  },
  ageColumn,
];

function workloadResource(kind: Workload["kind"], plural: string, shortName: string): Resource {
  return {
    group: "apps",
    version: "v1",
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    shortNames: [shortName],
    objects: (cluster, now) =>
      [...cluster.workloads.values()]
        .filter((workload) => workload.kind === kind)
        .map((workload) => {
          const pods = [...cluster.pods.values()].filter(
            (pod) =>
              pod.namespace === workload.namespace && pod.owner?.kind === kind && pod.owner.name === workload.name,
          );
          return workloadObject(workload, pods, now);
        }),
  };
}

const RESOURCES: readonly Resource[] = [
  {
    group: "",
    version: "v1",
    plural: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    namespaced: false,
    shortNames: ["ns"],
    objects: (cluster) => [...cluster.namespaces].map(([name, namespace]) => namespaceObject(name, namespace)),
    fields: (namespace) => ({ "status.phase": String(get(namespace, "status", "phase")) }),
  },
  {
    group: "",
    version: "v1",
    plural: "nodes",
    singular: "node",
    kind: "Node",
    namespaced: false,
    shortNames: ["no"],
    objects: (cluster) => [...cluster.nodes.values()],
    fields: (node) => ({ "spec.unschedulable": String(get(node, "spec", "unschedulable") === true) }),
    columns: nodeColumns,
    patch: (cluster, name, patch) => cluster.patchNode(name, patch),
  },
  {
    group: "",
    version: "v1",
    plural: "pods",
    singular: "pod",
    kind: "Pod",
    namespaced: true,
    shortNames: ["po"],
    objects: (cluster, now) => [...cluster.pods.values()].map((pod) => podObject(pod, cluster, now)),
    fields: (pod) => ({
      "spec.nodeName": String(get(pod, "spec", "nodeName") ?? ""),
      "spec.restartPolicy": String(get(pod, "spec", "restartPolicy")),
      "spec.schedulerName": String(get(pod, "spec", "schedulerName")),
      "spec.serviceAccountName": String(get(pod, "spec", "serviceAccountName")),
      "status.phase": String(get(pod, "status", "phase")),
      "status.podIP": String(get(pod, "status", "podIP") ?? ""),
    }),
    columns: podColumns,
    delete: (cluster, namespace, name, now) => {
      const pod = cluster.pod(namespace, name);
      const object = podObject(pod, cluster, now);
      cluster.deletePod(pod);
      return object;
    },
  },
  workloadResource("DaemonSet", "daemonsets", "ds"),
  workloadResource("ReplicaSet", "replicasets", "rs"),
  workloadResource("StatefulSet", "statefulsets", "sts"),
  {
    group: "policy",
    version: "v1",
    plural: "poddisruptionbudgets",
    singular: "poddisruptionbudget",
    kind: "PodDisruptionBudget",
    namespaced: true,
    shortNames: ["pdb"],
    objects: (cluster) => [...cluster.pdbs.values()].map((pdb) => pdbObject(pdb, cluster.pdbStatus(pdb))),
    columns: pdbColumns,
  },
];

const groupVersion = (resource: { group: string; version: string }) =>
  resource.group === "" ? resource.version : `${resource.group}/${resource.version}`;

/** `duration.HumanDuration` of apimachinery, which the server's AGE cells are written with. */
function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP: routing, discovery, selectors, content negotiation and errors.

interface ApiRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
}

interface ServerInfo {
  readonly gitVersion: string;
  readonly deprecatedApis: readonly DeprecatedApi[];
  readonly host: string;
}

/** A request the server refuses, answered as a v1 Status. */
class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Json,
  ) {
    super(message);
  }

  status(): Json {
    const { code, reason, message, details } = this;
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      ...(details && { details }),
      code,
    };
  }
}

function notFound(group: string, plural: string, name: string): StatusError {
  const qualified = group === "" ? plural : `${plural}.${group}`;
  const details = { name, ...(group !== "" && { group }), kind: plural };
  return new StatusError(404, "NotFound", `${qualified} "${name}" not found`, details);
}

const badRequest = (message: string) => new StatusError(400, "BadRequest", message);
const noSuchResource = () => new StatusError(404, "NotFound", "the server could not find the requested resource", {});
const notAllowed = () =>
  new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});

function route(request: ApiRequest, cluster: Cluster, info: ServerInfo): Answer {
  const path = request.url.pathname.replace(/\/+$/, "");
  const segments = path.split("/").slice(1).map(decodeURIComponent);
  const upgrade = /^\/fake\/kubelet\/([^/]+)\/upgrade$/.exec(path);
  if (upgrade) return kubeletUpgrade(request, cluster, decodeURIComponent(upgrade[1] as string));
  if (request.method !== "GET" && ["/version", "/metrics", "/api", "/apis"].includes(path)) throw notAllowed();
  if (path === "/version") return { status: 200, body: versionInfo(info.gitVersion) };
  if (path === "/metrics") return metrics(cluster, info.deprecatedApis);
  if (path === "/api") return { status: 200, body: apiVersions(info.host) };
  if (path === "/apis") return { status: 200, body: apiGroups() };
  if (segments[0] === "api" && segments[1] === "v1")
    return resourceRequest(request, cluster, "", "v1", segments.slice(2));
  if (segments[0] === "apis" && segments.length >= 3) {
    return resourceRequest(request, cluster, segments[1] as string, segments[2] as string, segments.slice(3));
  }
  throw noSuchResource();
}

/** Splits `[namespaces/{ns}/]{plural}[/{name}[/{subresource}]]` as the API server's request info does. */
function resourceRequest(
  request: ApiRequest,
  cluster: Cluster,
  group: string,
  version: string,
  parts: string[],
): Answer {
  const served = RESOURCES.filter((resource) => resource.group === group && resource.version === version);
  if (served.length === 0) throw noSuchResource();
  if (parts.length === 0) {
    if (request.method !== "GET") throw notAllowed();
    return { status: 200, body: resourceList(group, version, served) };
  }
  const namespaced = parts[0] === "namespaces" && parts.length > 2;
  const namespace = namespaced ? parts[1] : undefined;
  const [plural, name, subresource, ...rest] = namespaced ? parts.slice(2) : parts;
  const resource = served.find((candidate) => candidate.plural === plural);
  if (!resource || rest.length > 0 || (namespace !== undefined && !resource.namespaced)) throw noSuchResource();
  if (request.url.searchParams.has("dryRun")) throw badRequest("dry run is not supported by the fake API server");
  const now = Date.now();

  if (subresource !== undefined) {
    const isEviction = resource.plural === "pods" && subresource === "eviction" && namespace !== undefined;
    if (!isEviction || name === undefined) throw noSuchResource();
    if (request.method !== "POST") throw notAllowed();
    return { status: 201, body: cluster.evict(namespace, name, evictionBody(request)) };
  }
  if (name === undefined) {
    if (request.method !== "GET") throw notAllowed();
    if (request.url.searchParams.get("watch") === "true" || request.url.searchParams.get("watch") === "1") {
      throw new StatusError(405, "MethodNotAllowed", "watch is not supported by the fake API server", {});
    }
    const objects = resource
      .objects(cluster, now)
      .filter((object) => namespace === undefined || object.metadata.namespace === namespace)
      .filter(selectorFilter(resource, request.url.searchParams));
    return listAnswer(request, resource, objects, cluster.revision, now);
  }
  const find = () => {
    const object = resource
      .objects(cluster, now)
      .find((candidate) => candidate.metadata.name === name && candidate.metadata.namespace === namespace);
    if (!object) throw notFound(resource.group, resource.plural, name);
    return object;
  };
  switch (request.method) {
    case "GET":
      return objectAnswer(request, resource, find(), cluster.revision, now);
    case "PATCH":
      if (!resource.patch) throw notAllowed();
      return { status: 200, body: typed(resource, resource.patch(cluster, name, patchBody(request))) };
    case "DELETE":
      if (!resource.delete) throw notAllowed();
      return { status: 200, body: typed(resource, resource.delete(cluster, namespace ?? "", name, now)) };
    default:
      throw notAllowed();
  }
}

function kubeletUpgrade(request: ApiRequest, cluster: Cluster, node: string): Answer {
  if (request.method !== "POST") throw notAllowed();
  const { version } = jsonBody(request);
  if (typeof version !== "string" || version === "") throw badRequest('the body must be {"version": "<version>"}');
  cluster.upgradeKubelet(node, version);
  return { status: 202, body: { node, version } };
}

function jsonBody(request: ApiRequest): Json {
  try {
    const body: unknown = JSON.parse(request.body.toString("utf8"));
    if (isObject(body)) return body;
  } catch {
    // Answered below, like any body that is not an object.
  }
  throw badRequest("the request body is not a JSON object");
}

function evictionBody(request: ApiRequest): Json {
  const body = jsonBody(request);
  const options = isObject(body.deleteOptions) ? body.deleteOptions : {};
  if (Array.isArray(options.dryRun) && options.dryRun.length > 0) {
    throw badRequest("dry run is not supported by the fake API server");
  }
  return body;
}

/** Merge patches and strategic merge patches without directives or merged lists: the same thing for these fields. */
function patchBody(request: ApiRequest): Json {
  const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim();
  if (type !== "application/merge-patch+json" && type !== "application/strategic-merge-patch+json") {
    const accepted = "application/merge-patch+json, application/strategic-merge-patch+json";
    const message = `the body of the request was in an unknown format - accepted media types include: ${accepted}`;
    throw new StatusError(415, "UnsupportedMediaType", message, {});
  }
  const patch = jsonBody(request);
  const directive = JSON.stringify(patch).match(/"(\$[A-Za-z/]+)":/);
  if (directive) throw badRequest(`the strategic merge patch directive ${directive[1]} is not supported by the fake`);
  return patch;
}

function typed(resource: Resource, object: KubeObject): Json {
  return { kind: resource.kind, apiVersion: groupVersion(resource), ...object };
}

function listAnswer(
  request: ApiRequest,
  resource: Resource,
  objects: KubeObject[],
  revision: string,
  now: number,
): Answer {
  if (wantsTable(request)) return { status: 200, body: table(request, resource, objects, revision, now) };
  return {
    status: 200,
    body: {
      kind: `${resource.kind}List`,
      apiVersion: groupVersion(resource),
      metadata: { resourceVersion: revision },
      items: objects,
    },
  };
}

function objectAnswer(
  request: ApiRequest,
  resource: Resource,
  object: KubeObject,
  revision: string,
  now: number,
): Answer {
  if (wantsTable(request)) return { status: 200, body: table(request, resource, [object], revision, now) };
  return { status: 200, body: typed(resource, object) };
}

/** Whether the client asked for a meta.k8s.io/v1 Table (kubectl's human output) before plain JSON. */
function wantsTable(request: ApiRequest): boolean {
  const accepted = (request.headers.accept ?? "").split(",").map((type) => type.replaceAll(" ", ""));
  const tableAt = accepted.findIndex(
    (type) => /;as=Table/.test(type) && /;g=meta\.k8s\.io/.test(type) && /;v=v1(;|$)/.test(type),
  );
  if (tableAt === -1) return false;
  const jsonAt = accepted.findIndex((type) => type === "application/json" || type === "*/*");
  if (jsonAt !== -1 && jsonAt < tableAt) return false;
  return true;
}

function table(request: ApiRequest, resource: Resource, objects: KubeObject[], revision: string, now: number): Json {
  const columns = resource.columns ?? defaultColumns;
  const include = request.url.searchParams.get("includeObject") ?? "Metadata";
  const rowObject = (object: KubeObject) => {
    if (include === "None") return {};
    if (include === "Object") return { object: typed(resource, object) };
    return { object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: object.metadata } };
  };
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion: revision },
    columnDefinitions: columns.map(({ name, type, format, priority, description }) => ({
      name,
      type,
      format: format ?? "",
      description,
      priority: priority ?? 0,
    })),
    rows: objects.map((object) => ({ cells: columns.map((column) => column.cell(object, now)), ...rowObject(object) })),
  };
}

// Selectors ---------------------------------------------------------------------------------------------------

type Requirement = (values: Labels) => boolean;

function selectorFilter(resource: Resource, query: URLSearchParams): (object: KubeObject) => boolean {
  const labels = parseLabelSelector(query.get("labelSelector") ?? "");
  const fields = parseFieldSelector(query.get("fieldSelector") ?? "", resource);
  return (object) => {
    const fieldValues: Labels = {
      "metadata.name": object.metadata.name,
      ...(resource.namespaced && { "metadata.namespace": object.metadata.namespace ?? "" }),
      ...resource.fields?.(object),
    };
    return (
      labels.every((matches) => matches(object.metadata.labels ?? {})) &&
      fields.every((matches) => matches(fieldValues))
    );
  };
}

/** Terms split at the commas that are not inside `in (…)` sets. */
function selectorTerms(selector: string): string[] {
  return (selector.match(/(?:\([^)]*\)|[^,])+/g) ?? []).map((term) => term.trim()).filter((term) => term !== "");
}

/** `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`: the label selector grammar. */
function parseLabelSelector(selector: string): Requirement[] {
  return selectorTerms(selector).map((term): Requirement => {
    const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (set) {
      const [, key = "", operator, list = ""] = set;
      const values = list.split(",").map((value) => value.trim());
      return (labels) => (operator === "in") === (key in labels && values.includes(labels[key] as string));
    }
    const equality = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
    if (equality) {
      const [, key = "", operator, value] = equality;
      return (labels) => (operator === "!=") !== (labels[key] === value);
    }
    const existence = /^(!?)([\w./-]+)$/.exec(term);
    if (existence) {
      const [, not, key = ""] = existence;
      return (labels) => (not === "!") !== key in labels;
    }
    throw badRequest(`unable to parse requirement: ${term}`);
  });
}

function parseFieldSelector(selector: string, resource: Resource): Requirement[] {
  const supported = new Set([
    "metadata.name",
    "metadata.namespace",
    ...Object.keys(resource.fields?.(sampleObject) ?? {}),
  ]);
  return selectorTerms(selector).map((term): Requirement => {
    const match = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match) throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    const [, field = "", operator, value] = match;
    if (!supported.has(field)) throw badRequest(`field label not supported: ${field}`);
    return (values) => (operator === "!=") !== (values[field] === value);
  });
}

/** An empty object: enough to ask a resource which field selectors it has. */
const sampleObject: KubeObject = { metadata: { name: "", uid: "", resourceVersion: "", creationTimestamp: "" } };

// Discovery, version and metrics --------------------------------------------------------------------------------

function apiVersions(host: string): Json {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: host }],
  };
}

function apiGroups(): Json {
  const groups = [...new Set(RESOURCES.filter((r) => r.group !== "").map((r) => groupVersion(r)))].map((gv) => {
    const [name, version] = gv.split("/") as [string, string];
    const only = { groupVersion: gv, version };
    return { name, versions: [only], preferredVersion: only };
  });
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

function resourceList(group: string, version: string, served: readonly Resource[]): Json {
  const resources: Json[] = served.map((resource) => ({
    name: resource.plural,
    singularName: resource.singular,
    namespaced: resource.namespaced,
    kind: resource.kind,
    verbs: ["get", "list", ...(resource.patch ? ["patch"] : []), ...(resource.delete ? ["delete"] : [])],
    ...(resource.shortNames && { shortNames: resource.shortNames }),
  }));
  if (group === "") {
    const eviction = { name: "pods/eviction", singularName: "", namespaced: true, group: "policy", version: "v1" };
    resources.push({ ...eviction, kind: "Eviction", verbs: ["create"] });
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: groupVersion({ group, version }), resources };
}

function versionInfo(gitVersion: string): Json {
  const [, major = "", minor = ""] = /^v?(\d+)\.(\d+)/.exec(gitVersion) ?? [];
  return {
    major,
    minor,
    gitVersion,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2024-01-01T00:00:00Z",
    goVersion: "go1.21.5",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

function metrics(cluster: Cluster, deprecated: readonly DeprecatedApi[]): Answer {
  const series = deprecated.map(
    (api) =>
      `apiserver_requested_deprecated_apis{group="${api.group}",removed_release="${api.removedRelease}",resource="${api.resource}",subresource="",version="${api.version}"} 1`,
  );
  const lines = [
    ...(series.length === 0
      ? []
      : [
          "# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.",
          "# TYPE apiserver_requested_deprecated_apis gauge",
          ...series,
        ]),
    "# HELP apiserver_storage_objects [STABLE] Number of stored objects at the time of last check split by kind.",
    "# TYPE apiserver_storage_objects gauge",
    `apiserver_storage_objects{resource="nodes"} ${cluster.nodes.size}`,
    `apiserver_storage_objects{resource="pods"} ${cluster.pods.size}`,
    "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
    "# TYPE process_start_time_seconds gauge",
    `process_start_time_seconds ${Math.floor(Date.now() / 1000 - process.uptime())}`,
  ];
  return { status: 200, body: `${lines.join("\n")}\n`, contentType: "text/plain; version=0.0.4; charset=utf-8" };
}
