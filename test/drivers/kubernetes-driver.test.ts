import { afterEach, describe, expect, it } from "vitest";
import type { DriverProfile } from "../../src/domain/driver-config.js";
import { parseSeed, type SeedFile } from "../../src/store/seed-file.js";
import { type FakeKubernetes, startFakeKubernetes } from "../support/fake-kubernetes.js";
import { CLUSTER, PROJECT, testSeed } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

const KUBELET_HOOK = new URL("./scripts/kubelet-upgrade.mjs", import.meta.url).pathname;
const CONTROL_PLANE_HOOK = new URL("./scripts/control-plane-upgrade.mjs", import.meta.url).pathname;
const POOL_LABEL = "cce.cloud.com/cce-nodepool";
/** The test seed's cluster runs v1.28.15-r30; its kubelets report the Kubernetes version. */
const KUBELET_FROM = "v1.28.15";
/** v1.29 resolves to the catalogue's newest v1.29 release, v1.29.15-r50, whose kubelets report v1.29.15. */
const KUBELET_TO = "v1.29.15";

/** A kubernetes profile on the fake, with its hooks the fake's simulated kubelet and control plane. */
export function kubernetesProfile(fake: FakeKubernetes, extra: Partial<DriverProfile> = {}): DriverProfile {
  return {
    type: "kubernetes",
    kubeconfig: fake.kubeconfigPath,
    nodeUpgrade: { type: "exec", command: [process.execPath, KUBELET_HOOK, fake.url, fake.token], timeoutSeconds: 30 },
    controlPlaneUpgrade: {
      type: "exec",
      command: [process.execPath, CONTROL_PLANE_HOOK, fake.url, fake.token],
      timeoutSeconds: 30,
    },
    backup: { type: "exec", command: ["/bin/true"] },
    drain: { evictionRetrySeconds: 0.1, timeoutSeconds: 20 },
    nodeReadyTimeoutSeconds: 20,
    ...extra,
  } as DriverProfile;
}

/** The test seed with CLUSTER on a kubernetes profile. */
export function kubernetesSeed(profile: DriverProfile): SeedFile {
  const seed = testSeed();
  const [project] = seed.projects;
  const [cluster] = project?.clusters ?? [];
  if (!project || !cluster) throw new Error("test seed has no project or cluster");
  seed.driverProfiles = { k8s: profile };
  project.driverProfiles = ["k8s"];
  cluster.driver = "k8s";
  return parseSeed(seed, "test seed");
}

/** Each node's PATCH requests, in the order the fake received them: the first cordons, the last uncordons. */
function patchIndexes(fake: FakeKubernetes): Map<string, number[]> {
  const byNode = new Map<string, number[]>();
  fake.requests.forEach((request, index) => {
    const match = /^\/api\/v1\/nodes\/([^/?]+)$/.exec(request.path);
    if (request.method !== "PATCH" || !match?.[1]) return;
    byNode.set(match[1], [...(byNode.get(match[1]) ?? []), index]);
  });
  return byNode;
}

const batchesOf = (plan: { steps: { kind: string; targets: { name: string }[] }[] }) =>
  plan.steps.filter((step) => step.kind === "node").map((step) => step.targets.map((target) => target.name));

describe("the kubernetes driver against the fake Kubernetes API", () => {
  let fake: FakeKubernetes;
  let system: Awaited<ReturnType<typeof testSystem>> | undefined;
  afterEach(async () => {
    await system?.close();
    system = undefined;
    await fake?.close();
  });

  const start = async (extra: Partial<DriverProfile> = {}, replacementReadyMs = 0) => {
    fake = await startFakeKubernetes({ gitVersion: KUBELET_FROM, replacementReadyMs });
    return (profile = kubernetesProfile(fake, extra)) && undefined;
  };
  let profile: DriverProfile;
  const boot = async () => {
    system = await testSystem("sqlite", { seed: kubernetesSeed(profile) });
    return system;
  };
  const listNodes = async () =>
    (await (system as NonNullable<typeof system>).call("GET", `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/nodes`))
      .body;

  it("upgrades 3 pools of 9 nodes in CCE's order: the smallest pool first, the least-loaded node first, batches 1, 2, 2 …", async () => {
    await start();
    // Pool c (2 nodes), then DefaultPool (3, unlabelled), then b (4); loads are the pods a drain moves.
    const pools: [string, string | undefined, number[]][] = [
      ["b", "b", [3, 0, 2, 1]],
      ["d", undefined, [1, 2, 0]],
      ["c", "c", [2, 1]],
    ];
    for (const [prefix, pool, loads] of pools) {
      loads.forEach((load, index) => {
        const name = `${prefix}${index + 1}`;
        fake.addNode({ name, kubeletVersion: KUBELET_FROM, ...(pool && { labels: { [POOL_LABEL]: pool } }) });
        for (let pod = 0; pod < load; pod++) {
          fake.addPod({
            name: `${name}-app-${pod}`,
            nodeName: name,
            owner: { kind: "StatefulSet", name: `${name}-app` },
          });
        }
        fake.addPod({ name: `${name}-agent`, nodeName: name, owner: { kind: "DaemonSet", name: "agent" } });
      });
    }
    const { startUpgrade, waitForTask, plan } = await boot();

    const listed = await listNodes();
    expect(listed.items.map((node: { name: string }) => node.name).sort()).toEqual(
      ["b1", "b2", "b3", "b4", "c1", "c2", "d1", "d2", "d3"].sort(),
    );
    expect(
      Object.fromEntries(listed.pools.map((pool: { name: string; nodeCount: number }) => [pool.name, pool.nodeCount])),
    ).toMatchObject({ DefaultPool: 3, b: 4, c: 2 });

    const taskId = await startUpgrade(CLUSTER, "v1.29", {
      strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 2 } },
    });
    const done = await waitForTask(CLUSTER, taskId, (t) => ["Success", "Failed"].includes(t.status.phase), 60_000);
    expect(done.status.phase, done.spec.items?.failureReason).toBe("Success");

    const batches = batchesOf(await plan(CLUSTER, taskId));
    expect(batches).toEqual([["c2"], ["c1", "d3"], ["d1", "d2"], ["b2", "b4"], ["b3", "b1"]]);
    // Every node upgraded once, every batch whole before the next cordons a node.
    expect(fake.kubelet.upgrades.map((upgrade) => upgrade.node).sort()).toEqual(batches.flat().sort());
    const patches = patchIndexes(fake);
    for (let index = 1; index < batches.length; index++) {
      const lastUncordon = Math.max(...(batches[index - 1] ?? []).map((node) => patches.get(node)?.at(-1) ?? -1));
      const firstCordon = Math.min(...(batches[index] ?? []).map((node) => patches.get(node)?.[0] ?? -1));
      expect(firstCordon, `batch ${index + 1} started before batch ${index} ended`).toBeGreaterThan(lastUncordon);
    }
    for (const node of fake.nodes()) {
      expect(node).toMatchObject({ ready: true, unschedulable: false, kubeletVersion: KUBELET_TO });
      expect(patches.get(node.name)).toHaveLength(2);
    }
    // Only the pods a drain moves were evicted, each once; the DaemonSet's stayed.
    const evicted = fake.evictions.map((eviction) => `${eviction.name}:${eviction.status}`);
    expect(evicted.every((entry) => entry.endsWith(":201"))).toBe(true);
    expect(new Set(fake.evictions.map((eviction) => eviction.uid)).size).toBe(fake.evictions.length);
    expect(fake.evictions.length).toBeGreaterThanOrEqual(12);
    expect(fake.evictions.some((eviction) => eviction.name.endsWith("-agent"))).toBe(false);
    expect(fake.controlPlane.upgrades).toEqual(["v1.29.15-r50"]);
    const after = await listNodes();
    expect(new Set(after.items.map((node: { version: string }) => node.version))).toEqual(new Set(["v1.29.15-r50"]));
  }, 90_000);
});
