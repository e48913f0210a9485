import { execFile, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { HookStepRequest } from "../../src/drivers/hook-request.js";
import { type FakeKubernetes, type FakePodView, startFakeKubernetes } from "../support/fake-kubernetes.js";

const KUBELET_HOOK = new URL("./scripts/kubelet-upgrade.mjs", import.meta.url).pathname;
const PDB_REFUSAL = "Cannot evict pod as it would violate the pod's disruption budget.";

/** The kubectl on PATH, `""` when there is none. */
function findKubectl(): string {
  try {
    return execFileSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

const KUBECTL = findKubectl();

interface ListedNode {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly uid: string };
  readonly status: {
    readonly conditions: readonly { readonly type: string; readonly status: string }[];
    readonly nodeInfo: { readonly kubeletVersion: string };
  };
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl against the fake, with a discovery cache of its own; a non-zero exit is a result, not an error. */
function kubectl(fake: FakeKubernetes, cacheDir: string, ...args: string[]): Promise<Run> {
  const argv = ["--kubeconfig", fake.kubeconfigPath, "--cache-dir", cacheDir, ...args];
  return new Promise((resolve, reject) => {
    execFile(KUBECTL, argv, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(error);
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** The rows of kubectl's table output, header first, split at spaces (the cells here hold none). */
function tableRows(text: string): string[][] {
  return text
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/));
}

/** `namespace/name:status` for each eviction the fake answered, in order. */
function evictionLog(fake: FakeKubernetes): string[] {
  return fake.evictions.map((eviction) => `${eviction.namespace}/${eviction.name}:${eviction.status}`);
}

function podNamed(fake: FakeKubernetes, name: string): FakePodView | undefined {
  return fake.pods().find((pod) => pod.name === name);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`the condition did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(() => {
  if (KUBECTL === "") {
    throw new Error("no kubectl on PATH: install Debian's kubernetes-client (apt-get install kubernetes-client)");
  }
});

// Google's kubectl dispatcher (the machine's /usr/bin/kubectl) runs the kubectl of the server's minor version:
// the fake's default version brings kubectl 1.28, a 1.32 server kubectl 1.32 itself.
describe.each(["v1.28.5", "v1.32.2"])("kubectl against a fake API server of %s", (gitVersion) => {
  let fake: FakeKubernetes;
  let cacheDir: string;
  const run = (...args: string[]) => kubectl(fake, cacheDir, ...args);

  const startFake = async (replacementReadyMs = 0) => {
    fake = await startFakeKubernetes({ gitVersion, replacementReadyMs });
  };

  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), "kubectl-cache-"));
  });

  afterEach(async () => {
    await fake.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("get nodes prints the server's table: STATUS Ready, NotReady, Ready,SchedulingDisabled, ROLES and VERSION", async () => {
    await startFake();
    fake.addNode({ name: "n1", kubeletVersion: "v1.28.5", labels: { "node-role.kubernetes.io/worker": "" } });
    fake.addNode({ name: "n2", kubeletVersion: "v1.28.5", unschedulable: true });
    fake.addNode({ name: "n3", kubeletVersion: "v1.27.9", ready: false });

    const { code, stdout } = await run("get", "nodes");

    expect(code).toBe(0);
    const [header, ...rows] = tableRows(stdout);
    expect(header).toEqual(["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    expect(rows.map(([name, status, roles, , version]) => [name, status, roles, version])).toEqual([
      ["n1", "Ready", "worker", "v1.28.5"],
      ["n2", "Ready,SchedulingDisabled", "<none>", "v1.28.5"],
      ["n3", "NotReady", "<none>", "v1.27.9"],
    ]);
    for (const row of rows) expect(row[3]).toMatch(/^\d+s$/);
  });

  it("get nodes -o json is a v1 List of the fake's nodes, with their uids, conditions and kubelet versions", async () => {
    await startFake();
    fake.addNode({ name: "n1", kubeletVersion: "v1.28.5" });
    fake.addNode({ name: "n2", kubeletVersion: "v1.29.0", ready: false });

    const { code, stdout } = await run("get", "nodes", "-o", "json");

    expect(code).toBe(0);
    const list = JSON.parse(stdout);
    expect([list.kind, list.apiVersion]).toEqual(["List", "v1"]);
    const summary = (list.items as ListedNode[]).map(({ kind, metadata, status }) => {
      const ready = status.conditions.find((condition) => condition.type === "Ready")?.status;
      return [kind, metadata.name, metadata.uid, ready, status.nodeInfo.kubeletVersion];
    });
    expect(summary).toEqual([
      ["Node", "n1", fake.node("n1")?.uid, "True", "v1.28.5"],
      ["Node", "n2", fake.node("n2")?.uid, "False", "v1.29.0"],
    ]);
  });

  it("version -o json shows the server's gitVersion and its major and minor", async () => {
    await startFake();

    const { code, stdout } = await run("version", "-o", "json");

    expect(code).toBe(0);
    const [, minor] = gitVersion.split(".");
    expect(JSON.parse(stdout).serverVersion).toMatchObject({ major: "1", minor, gitVersion });
  });

  it("cordon sets spec.unschedulable with a strategic merge patch, uncordon removes it", async () => {
    await startFake();
    fake.addNode({ name: "n1", kubeletVersion: "v1.28.5" });

    const cordon = await run("cordon", "n1");
    expect([cordon.code, cordon.stdout.trim()]).toEqual([0, "node/n1 cordoned"]);
    expect(fake.node("n1")?.unschedulable).toBe(true);
    const patches = fake.requests.filter((request) => request.method === "PATCH");
    expect(patches).toEqual([
      { method: "PATCH", path: "/api/v1/nodes/n1", contentType: "application/strategic-merge-patch+json" },
    ]);

    const uncordon = await run("uncordon", "n1");
    expect([uncordon.code, uncordon.stdout.trim()]).toEqual([0, "node/n1 uncordoned"]);
    expect(fake.node("n1")?.unschedulable).toBe(false);
    const node = JSON.parse((await run("get", "node", "n1", "-o", "json")).stdout);
    expect(node.spec).not.toHaveProperty("unschedulable");
  });

  describe("drain", () => {
    /** n1 holds one pod of each kind; n2 and n3 are free for replacements. */
    const nodeWithEveryKindOfPod = () => {
      for (const name of ["n1", "n2", "n3"]) fake.addNode({ name, kubeletVersion: "v1.28.5" });
      fake.addPod({ name: "web-7d9c-abcde", nodeName: "n1", labels: { app: "web" }, owner: rs("web-7d9c") });
      fake.addPod({ name: "db-0", nodeName: "n1", labels: { app: "db" }, owner: sts("db"), emptyDir: true });
      fake.addPod({ name: "report-x1", nodeName: "n1", owner: { kind: "Job", name: "report" } });
      fake.addPod({ name: "agent-n1", nodeName: "n1", owner: { kind: "DaemonSet", name: "agent" } });
      fake.addPod({ namespace: "kube-system", name: "kube-proxy-n1", nodeName: "n1", mirror: true });
    };

    it("evicts every pod but the DaemonSet's and the mirror, once each; the ReplicaSet and StatefulSet replace theirs elsewhere", async () => {
      await startFake();
      nodeWithEveryKindOfPod();
      const before = new Map(fake.pods().map((pod) => [pod.name, pod.uid]));

      const { code, stdout, stderr } = await run(
        ...["drain", "n1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=20s"],
      );

      expect(code, stderr).toBe(0);
      // kubectl 1.20 (Debian's) says "evicted" where later ones say "drained".
      expect(stdout).toMatch(/^node\/n1 (drained|evicted)$/m);
      expect(evictionLog(fake).sort()).toEqual([
        "default/db-0:201",
        "default/report-x1:201",
        "default/web-7d9c-abcde:201",
      ]);
      for (const eviction of fake.evictions)
        expect([eviction.uid, eviction.nodeName]).toEqual([before.get(eviction.name), "n1"]);
      const left = fake.pods().filter((pod) => pod.nodeName === "n1");
      expect(left.map((pod) => [pod.name, pod.uid])).toEqual([
        ["agent-n1", before.get("agent-n1")],
        ["kube-proxy-n1", before.get("kube-proxy-n1")],
      ]);
      const db = podNamed(fake, "db-0");
      expect(db?.uid).not.toBe(before.get("db-0"));
      expect(["n2", "n3"]).toContain(db?.nodeName);
      const web = fake.pods().filter((pod) => pod.owner?.name === "web-7d9c");
      expect(web.map((pod) => pod.name)).toEqual([
        expect.stringMatching(/^web-7d9c-[bcdfghjklmnpqrstvwxz2456789]{5}$/),
      ]);
      expect(["n2", "n3"]).toContain(web[0]?.nodeName);
      expect(podNamed(fake, "report-x1")).toBeUndefined();
    });

    it("refuses without --ignore-daemonsets, naming the DaemonSet's pod, and evicts nothing", async () => {
      await startFake();
      nodeWithEveryKindOfPod();

      const { code, stderr } = await run("drain", "n1", "--delete-emptydir-data", "--timeout=20s");

      expect(code).not.toBe(0);
      expect(stderr).toContain(
        "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/agent-n1",
      );
      expect(fake.evictions).toEqual([]);
      expect(fake.pods()).toHaveLength(5);
    });

    it("stops at a budget of maxUnavailable 0 with the API server's 429, and the pod stays", async () => {
      await startFake();
      for (const name of ["n1", "n2"]) fake.addNode({ name, kubeletVersion: "v1.28.5" });
      fake.addPod({ name: "web-7d9c-abcde", nodeName: "n2", labels: { app: "web" }, owner: rs("web-7d9c") });
      fake.addPdb({ name: "web", matchLabels: { app: "web" }, maxUnavailable: 0 });

      const { code, stderr } = await run("drain", "n2", "--ignore-daemonsets", "--timeout=3s");

      expect(code).not.toBe(0);
      expect(stderr).toContain(PDB_REFUSAL);
      // kubectl asks again only after 5 s: within 3 s it asked once.
      expect(evictionLog(fake)).toEqual(["default/web-7d9c-abcde:429"]);
      expect(podNamed(fake, "web-7d9c-abcde")).toMatchObject({ nodeName: "n2", ready: true });
    });

    it("waits on a budget until the replacement of a pod it evicted is Ready, then evicts the next", async () => {
      // Long enough to outlast the way to the next eviction on a busy machine, short of kubectl's 5 s between tries.
      const replacementReadyMs = 3_000;
      await startFake(replacementReadyMs);
      for (const name of ["n1", "n2", "n3"]) fake.addNode({ name, kubeletVersion: "v1.28.5" });
      for (const [pod, node] of [
        ["web-7d9c-aaaaa", "n1"],
        ["web-7d9c-bbbbb", "n2"],
        ["web-7d9c-ccccc", "n3"],
      ] as const) {
        fake.addPod({ name: pod, nodeName: node, labels: { app: "web" }, owner: rs("web-7d9c") });
      }
      fake.addPdb({ name: "web", matchLabels: { app: "web" }, maxUnavailable: 1 });

      const { code, stderr } = await run("drain", "n1", "n2", "--ignore-daemonsets", "--timeout=15s");

      expect(code, stderr).toBe(0);
      expect(stderr).toContain(`(will retry after 5s): ${PDB_REFUSAL}`);
      const [first, ...second] = fake.evictions;
      expect(evictionLog(fake).join(" ")).toMatch(
        /^default\/web-7d9c-aaaaa:201( default\/web-7d9c-bbbbb:429)+ default\/web-7d9c-bbbbb:201$/,
      );
      // Refused while the first replacement was starting, let through once it was Ready.
      const firstAt = first?.at ?? 0;
      expect(second[0]?.at).toBeLessThan(firstAt + replacementReadyMs);
      expect(second.at(-1)?.at).toBeGreaterThanOrEqual(firstAt + replacementReadyMs);
      const web = fake.pods().filter((pod) => pod.owner?.name === "web-7d9c");
      expect(web.map((pod) => pod.nodeName)).toEqual(["n3", "n3", "n3"]);
    });
  });
});

describe("the kubelet upgrade hook against the fake's simulated kubelet", () => {
  let fake: FakeKubernetes;

  beforeEach(async () => {
    fake = await startFakeKubernetes();
    for (const name of ["n1", "n2"]) fake.addNode({ name, kubeletVersion: "v1.28.5" });
  });

  afterEach(() => fake.close());

  const stepRequest = (phase: "observe" | "apply", node: string, toVersion: string): HookStepRequest => ({
    idempotencyKey: `task-1:3:${node}:1`,
    phase,
    taskId: "task-1",
    cluster: { id: "cluster-1", name: "prod" },
    step: { kind: "node", name: "Upgrade nodes", index: 3 },
    target: { name: node },
    fromVersion: "v1.28",
    toVersion,
    attempt: 1,
  });

  /** Runs the hook as the exec driver does: the request on stdin; its exit code. */
  const hook = async (input: string, env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [KUBELET_HOOK, fake.url, fake.token], { env: { ...process.env, ...env } });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.stdin.end(input);
    const [code] = await once(child, "close");
    return { code: code as number, stderr };
  };
  const call = (phase: "observe" | "apply", node: string, toVersion: string) =>
    hook(JSON.stringify(stepRequest(phase, node, toVersion))).then(({ code }) => code);

  it("apply takes the node NotReady at once and back Ready on v1.29.0; observe exits 1 until then, 0 after", async () => {
    fake.setKubeletBehaviour("n1", { untilReleased: true });
    expect(await call("observe", "n1", "v1.29")).toBe(1);

    expect(await call("apply", "n1", "v1.29")).toBe(0);
    expect(fake.node("n1")).toMatchObject({ ready: false, kubeletVersion: "v1.28.5" });
    expect(fake.kubelet.upgrades).toEqual([{ node: "n1", version: "v1.29" }]);
    expect(await call("observe", "n1", "v1.29")).toBe(1);

    fake.kubelet.release("n1");
    await waitFor(() => fake.node("n1")?.ready === true, 2_000);
    expect(fake.node("n1")?.kubeletVersion).toBe("v1.29.0");
    expect(await call("observe", "n1", "v1.29")).toBe(0);
    expect(fake.node("n2")).toMatchObject({ ready: true, kubeletVersion: "v1.28.5" });
  });

  it("a kubelet that comes back on another version, or never, does not satisfy observe", async () => {
    fake.setKubeletBehaviour("n1", { readyAfterMs: 10, reportVersion: "v1.29.1" });
    fake.setKubeletBehaviour("n2", { neverReady: true });

    expect([await call("apply", "n1", "v1.29.3"), await call("apply", "n2", "v1.29.3")]).toEqual([0, 0]);
    await waitFor(() => fake.node("n1")?.ready === true, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(fake.nodes().map(({ name, ready, kubeletVersion }) => [name, ready, kubeletVersion])).toEqual([
      ["n1", true, "v1.29.1"],
      ["n2", false, "v1.28.5"],
    ]);
    expect([await call("observe", "n1", "v1.29.3"), await call("observe", "n2", "v1.29.3")]).toEqual([1, 1]);
  });

  it("takes the request from the CCE_* variables when stdin is empty, and fails on an unknown node", async () => {
    const env = { CCE_HOOK_PHASE: "apply", CCE_TARGET: "n2", CCE_TO_VERSION: "v1.30.2" };
    expect((await hook("", env)).code).toBe(0);
    await waitFor(() => fake.node("n2")?.kubeletVersion === "v1.30.2", 2_000);

    const unknown = await hook(JSON.stringify(stepRequest("apply", "n9", "v1.30")));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('nodes \\"n9\\" not found');
    expect(fake.kubelet.upgrades).toEqual([{ node: "n2", version: "v1.30.2" }]);
  });
});

describe("the fake API server answered directly", () => {
  let fake: FakeKubernetes;

  beforeEach(async () => {
    fake = await startFakeKubernetes();
    fake.addNode({ name: "n1", kubeletVersion: "v1.28.5" });
  });

  afterEach(() => fake.close());

  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${fake.url}${path}`, { ...init, headers: { authorization: `Bearer ${fake.token}`, ...init.headers } });

  it("refuses a request without the bearer token with 401 and a v1 Status", async () => {
    const answer = await fetch(`${fake.url}/api/v1/nodes`);

    expect(answer.status).toBe(401);
    expect(await answer.json()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Unauthorized",
      reason: "Unauthorized",
      code: 401,
    });
  });

  it("answers an eviction a budget forbids with the API server's 429 and its DisruptionBudget cause", async () => {
    fake.addPod({ name: "web-1", nodeName: "n1", labels: { app: "web" }, owner: rs("web") });
    fake.addPdb({ name: "web", matchLabels: { app: "web" }, minAvailable: 1 });
    const evict = (name: string) =>
      call(`/api/v1/namespaces/default/pods/${name}/eviction`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: "default" } }),
      });

    const refused = await evict("web-1");
    const missing = await evict("web-9");

    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: PDB_REFUSAL,
      reason: "TooManyRequests",
      details: {
        causes: [
          { reason: "DisruptionBudget", message: "The disruption budget web needs 1 healthy pods and has 1 currently" },
        ],
      },
      code: 429,
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ reason: "NotFound", message: 'pods "web-9" not found', code: 404 });
    expect(evictionLog(fake)).toEqual(["default/web-1:429", "default/web-9:404"]);
  });

  it("shows each deprecated API it is told of in /metrics", async () => {
    fake.setDeprecatedApis([
      { group: "policy", version: "v1beta1", resource: "podsecuritypolicies", removedRelease: "1.25" },
    ]);

    const text = await (await call("/metrics")).text();

    expect(text.split("\n").filter((line) => line.startsWith("apiserver_requested_deprecated_apis"))).toEqual([
      'apiserver_requested_deprecated_apis{group="policy",removed_release="1.25",resource="podsecuritypolicies",subresource="",version="v1beta1"} 1',
    ]);
  });
});

function rs(name: string) {
  return { kind: "ReplicaSet", name } as const;
}

function sts(name: string) {
  return { kind: "StatefulSet", name } as const;
}
