import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freshDatabaseUrl } from "../support/databases.js";
import { type FakeKubernetes, startFakeKubernetes } from "../support/fake-kubernetes.js";
import { CLUSTER, PROJECT, TOKEN, upgradeBody } from "../support/fixtures.js";
import { KUBELET_FROM, KUBELET_TO, kubernetesProfile, kubernetesSeed } from "../support/kubernetes-profile.js";
import { type ServiceProcess, startService } from "../support/service-process.js";

const headers = { "x-auth-token": TOKEN, "content-type": "application/json" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the kubernetes driver across a SIGKILL", () => {
  let fake: FakeKubernetes;
  let service: ServiceProcess | undefined;
  afterEach(async () => {
    await service?.stop("SIGKILL");
    await fake?.close();
  });

  it("a successor of a server killed mid-drain drains the node's remaining pods once, upgrades each node once and uncordons it", async () => {
    // The first eviction's replacement stays unready long enough to hold the second eviction (429) past the kill.
    fake = await startFakeKubernetes({ gitVersion: KUBELET_FROM, replacementReadyMs: 4_000 });
    for (const name of ["n1", "n2"]) fake.addNode({ name, kubeletVersion: KUBELET_FROM });
    for (const pod of ["web-a", "web-b"]) {
      fake.addPod({ name: pod, nodeName: "n1", labels: { app: "web" }, owner: { kind: "ReplicaSet", name: "web" } });
    }
    fake.addPdb({ name: "web", matchLabels: { app: "web" }, maxUnavailable: 1 });
    const seedPath = join(mkdtempSync(join(tmpdir(), "cce-k8s-crash-")), "seed.json");
    writeFileSync(seedPath, JSON.stringify(kubernetesSeed(kubernetesProfile(fake))));
    const env = {
      DATABASE_URL: freshDatabaseUrl("sqlite"),
      SEED_FILE: seedPath,
      LEASE_TTL_MS: "800",
      ENGINE_POLL_MS: "50",
    };
    service = await startService(env);
    const cluster = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
    const body = upgradeBody("v1.29", {
      strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 1 } },
    });
    const started = await fetch(`${service.address}${cluster}/operation/upgrade`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    expect(started.status).toBe(200);
    const { uid } = (await started.json()) as { uid: string };

    const refused = () => fake.evictions.some((eviction) => eviction.status === 429);
    for (const end = Date.now() + 30_000; Date.now() < end && !refused(); ) await sleep(20);
    expect(fake.evictions.map((eviction) => `${eviction.name}:${eviction.status}`).slice(0, 2)).toEqual([
      expect.stringMatching(/^web-[ab]:201$/),
      expect.stringMatching(/^web-[ab]:429$/),
    ]);
    await service.stop("SIGKILL");
    expect(fake.node("n1")).toMatchObject({ unschedulable: true, kubeletVersion: KUBELET_FROM });
    // n2, with nothing to evict, went first.
    expect(fake.kubelet.upgrades.map((upgrade) => upgrade.node)).toEqual(["n2"]);

    service = await startService(env);
    const taskUrl = `${service.address}${cluster}/operation/upgrade/tasks/${uid}`;
    let task = { status: { phase: "" }, spec: { items: { failureReason: "" } } };
    for (const end = Date.now() + 60_000; Date.now() < end && !["Success", "Failed"].includes(task.status.phase); ) {
      await sleep(50);
      task = (await (await fetch(taskUrl, { headers })).json()) as typeof task;
    }

    expect(task.status.phase, task.spec.items?.failureReason).toBe("Success");
    // Every pod let go once: no pod (by uid) was evicted twice, and n1's two original pods once each.
    const granted = fake.evictions.filter((eviction) => eviction.status === 201);
    expect(new Set(granted.map((eviction) => eviction.uid)).size).toBe(granted.length);
    expect(
      granted
        .filter((eviction) => eviction.nodeName === "n1")
        .map((eviction) => eviction.name)
        .sort(),
    ).toEqual(["web-a", "web-b"]);
    expect(fake.kubelet.upgrades.map((upgrade) => upgrade.node)).toEqual(["n2", "n1"]);
    expect(fake.nodes().map((node) => [node.name, node.unschedulable, node.kubeletVersion])).toEqual([
      ["n1", false, KUBELET_TO],
      ["n2", false, KUBELET_TO],
    ]);
  }, 120_000);
});
