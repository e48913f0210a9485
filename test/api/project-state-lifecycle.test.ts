import { afterEach, describe, expect, it } from "vitest";
import type { ClusterState, ProjectState } from "../../src/domain/project-state.js";
import { pollUntil } from "../support/check-runner.js";
import { DIALECTS } from "../support/databases.js";
import {
  CLUSTER,
  OLD_CLUSTER,
  OTHER_CLUSTER,
  OTHER_PROJECT,
  OTHER_TOKEN,
  PROJECT,
  TOKEN,
} from "../support/fixtures.js";
import { testSystem } from "../support/system.js";
import { expectCceError } from "../support/wire.js";

type System = Awaited<ReturnType<typeof testSystem>>;
type Json = ReturnType<typeof JSON.parse>;

const EXT = `/ext/v1/projects/${PROJECT}`;
const API = `/api/v3/projects/${PROJECT}`;

/** A CreateCluster body with every optional field CreateCluster keeps in its spec. */
function clusterBody(name: string) {
  return {
    kind: "Cluster",
    apiVersion: "v3",
    metadata: { name, alias: "made-here", annotations: { team: "platform" } },
    spec: {
      type: "VirtualMachine",
      flavor: "cce.s2.small",
      version: "v1.28",
      description: "made through the API",
      customSan: ["api.example.com"],
      ipv6enable: false,
      hostNetwork: { vpc: "vpc-0001", subnet: "subnet-0001", SecurityGroup: "sg-0001" },
      containerNetwork: { mode: "overlay_l2", cidrs: [{ cidr: "172.16.0.0/16" }] },
      authentication: { mode: "rbac" },
      billingMode: 0,
      masters: [{ availabilityZone: "cn-north-4a" }],
      kubernetesSvcIpRange: "10.247.0.0/16",
      kubeProxyMode: "ipvs",
      supportIstio: true,
      extendParam: { upgradefrom: "none", nested: { depth: [1, { two: true }] } },
    },
  };
}

/** A CreateNodePool body with every optional field CreateNodePool keeps in its spec. */
function nodePoolBody(name: string, count: number) {
  return {
    kind: "NodePool",
    apiVersion: "v3",
    metadata: { name },
    spec: {
      type: "vm",
      initialNodeCount: count,
      nodeTemplate: {
        flavor: "c7.large.2",
        az: "cn-north-4a",
        os: "EulerOS 2.9",
        login: { sshKey: "my-key" },
        rootVolume: { size: 50, volumetype: "SAS" },
        dataVolumes: [{ size: 100, volumetype: "SAS" }],
        taints: [{ key: "dedicated", value: "batch", effect: "NoSchedule" }],
        k8sTags: { tier: "batch" },
      },
      autoscaling: { enable: false },
      nodeManagement: { serverGroupReference: "sg-group" },
      podSecurityGroups: [{ id: "psg-1" }],
      customSecurityGroups: ["csg-1"],
    },
  };
}

describe.each(DIALECTS)("a project's state with clusters made through the API, on %s", (dialect) => {
  let system: System;
  afterEach(async () => system?.close());

  const call = async (method: "GET" | "POST", url: string, payload?: unknown, expected = 200): Promise<Json> => {
    const { status, body } = await system.call(method, url, payload);
    expect(status, `${method} ${url}: ${JSON.stringify(body)}`).toBe(expected);
    return body;
  };
  const state = (): Promise<ProjectState> => call("GET", `${EXT}/state`);
  const put = (document: unknown) =>
    system.app.inject({
      method: "PUT",
      url: `${EXT}/state`,
      headers: { "x-auth-token": TOKEN, "content-type": "application/json" },
      // A string, as a client sends it: a document too deep for JSON.stringify still reaches the server.
      payload: typeof document === "string" ? document : JSON.stringify(document),
    });
  const restore = async (document: unknown) => {
    const response = await put(document);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };
  const jobPhase = async (jobId: string) => (await call("GET", `${API}/jobs/${jobId}`)).status.phase;
  /** Moves the project's lifecycle jobs, as the runner does, until the job has succeeded. */
  const runJobUntilDone = (jobId: string) =>
    pollUntil(
      async () => {
        await system.jobs.runOnce();
        return jobPhase(jobId);
      },
      (phase) => phase === "Success",
    );
  /** A cluster made through CreateCluster and left Available, with a pool of `nodes` nodes still being created. */
  const clusterWithPool = async (name: string, nodes: number) => {
    const cluster = await call("POST", `${API}/clusters`, clusterBody(name), 201);
    const clusterId: string = cluster.metadata.uid;
    await runJobUntilDone(cluster.status.jobID);
    const pool = await call("POST", `${API}/clusters/${clusterId}/nodepools`, nodePoolBody("workers", nodes), 201);
    return { clusterId, createJob: cluster.status.jobID as string, poolId: pool.metadata.uid as string };
  };
  const clusterOf = (document: ProjectState, id: string): ClusterState => {
    const cluster = document.clusters.find((c) => c.id === id);
    if (!cluster) throw new Error(`no cluster ${id} in the document`);
    return cluster;
  };

  it("exports an API-made cluster with its spec, pools, nodes and jobs, and restores it after a reset as it was", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const { clusterId, createJob, poolId } = await clusterWithPool("made-1", 2);
    const poolJob = (await call("GET", `${API}/clusters/${clusterId}/nodepools/${poolId}`)).status.jobId;
    await system.jobs.runOnce();
    const shown = async () => ({
      cluster: await call("GET", `${API}/clusters/${clusterId}`),
      pool: await call("GET", `${API}/clusters/${clusterId}/nodepools/${poolId}`),
      nodes: await call("GET", `${API}/clusters/${clusterId}/nodes`),
      createJob: await call("GET", `${API}/jobs/${createJob}`),
      poolJob: await call("GET", `${API}/jobs/${poolJob}`),
    });
    const before = await state();
    const shownBefore = await shown();
    expect(before.version).toBe(2);
    const made = clusterOf(before, clusterId);
    expect(made).toMatchObject({
      phase: "Available",
      jobId: createJob,
      spec: { alias: "made-here", kubeProxyMode: "ipvs", extendParam: clusterBody("x").spec.extendParam },
      nodePools: [{ id: poolId, jobId: poolJob, phase: "Synchronizing", spec: { initialNodeCount: 2 } }],
      jobs: expect.arrayContaining([
        expect.objectContaining({ id: createJob, clusterId, type: "CreateCluster", phase: "Success" }),
        expect.objectContaining({ id: poolJob, clusterId, type: "CreateNodePool", phase: "Running", fence: 1 }),
      ]),
    });
    expect(made.jobs).toHaveLength(2);
    expect(made.nodes.map((node) => [node.status, node.jobId])).toEqual([
      ["Installing", poolJob],
      ["Installing", poolJob],
    ]);
    expect(clusterOf(before, CLUSTER)).toMatchObject({ spec: null, jobId: null, jobs: [] });
    expect(clusterOf(before, CLUSTER).nodePools.every((pool) => pool.spec === null && pool.phase === "")).toBe(true);

    const { removed } = await call("POST", `${EXT}/reset`);
    expect(removed).toMatchObject({ clusters: 3, clusterJobs: 2 });
    expect(await restore(before)).toMatchObject({ restored: { clusters: 3, nodePools: 3, clusterJobs: 2 } });
    expect(await state()).toEqual(before);
    expect(await shown()).toEqual(shownBefore);

    // The restored pool's job goes on: its nodes come up and the pool settles.
    await runJobUntilDone(poolJob);
    const settled = await call("GET", `${API}/clusters/${clusterId}/nodepools/${poolId}`);
    expect(settled.status).toMatchObject({ phase: "", currentNode: 2, creatingNode: 0 });
  });

  it("a cluster restored while its creation job runs becomes Available once the job runner runs", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const created = await call("POST", `${API}/clusters`, clusterBody("made-2"), 201);
    const clusterId: string = created.metadata.uid;
    const jobId: string = created.status.jobID;
    await system.jobs.runOnce();
    const creating = await state();
    expect(clusterOf(creating, clusterId)).toMatchObject({
      phase: "Creating",
      jobs: [{ id: jobId, type: "CreateCluster", phase: "Running" }],
    });

    await call("POST", `${EXT}/reset`);
    await restore(creating);
    system.jobs.start();
    await pollUntil(
      async () => (await call("GET", `${API}/clusters/${clusterId}`)).status.phase,
      (phase) => phase === "Available",
    );
    expect(await jobPhase(jobId)).toBe("Success");
  });

  it("reset removes a cluster made through the API, and its jobs", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const { clusterId, createJob, poolId } = await clusterWithPool("made-3", 1);
    const poolJob = (await call("GET", `${API}/clusters/${clusterId}/nodepools/${poolId}`)).status.jobId;

    await call("POST", `${EXT}/reset`);
    await call("GET", `${API}/clusters/${clusterId}`, undefined, 404);
    await call("GET", `${API}/jobs/${createJob}`, undefined, 404);
    await call("GET", `${API}/jobs/${poolJob}`, undefined, 404);
    expect((await state()).clusters.map((cluster) => cluster.id).sort()).toEqual([CLUSTER, OLD_CLUSTER]);
  });

  it("restores a version-1 document, which has none of version 2's fields", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const seeded = await state();
    await clusterWithPool("made-4", 1);
    const restored = await restore(versionOne(seeded));
    expect(restored.restored).toMatchObject({ clusters: 2, clusterJobs: 0 });
    expect(await state()).toEqual(seeded);
  });

  it("answers bad lifecycle fields 400 in the CCE error form, changing nothing", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const { clusterId } = await clusterWithPool("made-5", 1);
    const theirs = await system.app.inject({
      method: "POST",
      url: `/api/v3/projects/${OTHER_PROJECT}/clusters`,
      headers: { "x-auth-token": OTHER_TOKEN },
      payload: clusterBody("theirs"),
    });
    expect(theirs.statusCode, theirs.body).toBe(201);
    const before = await state();
    for (const [what, refusal, edit] of badLifecycleFields(theirs.json().status.jobID)) {
      const document = structuredClone(before);
      const response = await put(edit(clusterOf(document, clusterId), document) ?? document);
      expect(response.statusCode, `a document with ${what}: ${response.body}`).toBe(400);
      expect(expectCceError(response, 400, "CCE.01400001").errorMessage, what).toMatch(refusal);
    }
    expect(await state()).toEqual(before);
  });
});

/** The document as version 1 wrote it: without the fields version 2 added. */
function versionOne(document: ProjectState): unknown {
  return {
    ...document,
    version: 1,
    clusters: document.clusters.map(({ spec: _, jobId: __, jobs: ___, ...cluster }) => ({
      ...cluster,
      nodePools: cluster.nodePools.map(({ spec: _, jobId: __, phase: ___, ...pool }) => pool),
      nodes: cluster.nodes.map(({ jobId: _, ...node }) => node),
    })),
  };
}

type Edit = (cluster: ClusterState, document: ProjectState) => unknown;

/**
 * Edits of a valid document wrong in one lifecycle field each, with the refusal each gets: in place, or a JSON text returned (a spec too deep
 * to stringify). A key set to undefined is dropped as the document goes out as JSON.
 */
function badLifecycleFields(theirJob: string): [string, RegExp, Edit][] {
  const job = (cluster: ClusterState) => cluster.jobs?.[0] as NonNullable<ClusterState["jobs"]>[number];
  const pool = (cluster: ClusterState) => cluster.nodePools[0] as ClusterState["nodePools"][number];
  const spec = (cluster: ClusterState) => cluster.spec as NonNullable<ClusterState["spec"]> & Record<string, unknown>;
  const poolSpec = (cluster: ClusterState) => pool(cluster).spec as Record<string, unknown>;
  const set = (target: object, patch: object) => {
    Object.assign(target, patch);
  };
  const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
  return [
    ["a job of an unknown type", /jobs\[0\]\.type must be one of/, (c) => set(job(c), { type: "RebootCluster" })],
    ["a job of an unknown phase", /jobs\[0\]\.phase must be one of/, (c) => set(job(c), { phase: "Paused" })],
    [
      "a job of another cluster of the document",
      /jobs\[0\]\.clusterId .* is not the cluster's/,
      (c) => set(job(c), { clusterId: CLUSTER }),
    ],
    [
      "a job of another project's cluster",
      /jobs\[0\]\.clusterId .* is not the cluster's/,
      (c) => set(job(c), { clusterId: OTHER_CLUSTER }),
    ],
    // Renamed everywhere the document names it, so only the ID's owner is wrong.
    [
      "a job ID another project's job has",
      /is in use outside this project/,
      (c, d) => JSON.stringify(d).replaceAll(`"${c.jobId}"`, `"${theirJob}"`),
    ],
    [
      "a job ID used twice",
      /repeats the job id/,
      (c) => set(c, { jobs: [...(c.jobs ?? []), { ...job(c), type: "DeleteCluster" }] }),
    ],
    [
      "a cluster job ID naming no job of the cluster",
      /\]\.jobId .* is not a job of the cluster/,
      (c) => set(c, { jobId: theirJob }),
    ],
    [
      "a node job ID naming no job of the cluster",
      /nodes\[0\]\.jobId "x" is not a job of the cluster/,
      (c) => set(c.nodes[0] ?? {}, { jobId: "x" }),
    ],
    ["a pool of an unknown phase", /nodePools\[0\]\.phase must be one of/, (c) => set(pool(c), { phase: "Scaling" })],
    ["a cluster spec that is not an object", /\]\.spec must be object/, (c) => set(c, { spec: "vpc-0001" })],
    ["a pool spec that is an array", /nodePools\[0\]\.spec must be object/, (c) => set(pool(c), { spec: [] })],
    [
      "a cluster spec without what ShowCluster shows",
      /spec\.hostNetwork is required/,
      (c) => set(c, { spec: { ...spec(c), hostNetwork: undefined } }),
    ],
    [
      "a cluster spec with a key CreateCluster never keeps",
      /spec\.version is not a known key/,
      (c) => set(spec(c), { version: "v9" }),
    ],
    [
      "a pool spec without its node template",
      /spec\.nodeTemplate is required/,
      (c) => set(pool(c), { spec: { ...poolSpec(c), nodeTemplate: undefined } }),
    ],
    [
      "an oversized cluster spec",
      /\]\.spec is longer than 65536 characters/,
      (c) => set(spec(c), { extendParam: { blob: "x".repeat(70_000) } }),
    ],
    [
      "an oversized pool spec",
      /nodePools\[0\]\.spec is longer than 65536 characters/,
      (c) => set(poolSpec(c), { autoscaling: { blob: "x".repeat(70_000) } }),
    ],
    [
      "a cluster spec nested 100 000 deep",
      /request body nests deeper than 64 levels/,
      (c, d) => {
        spec(c).extendParam = { deep: "DEEP" };
        return JSON.stringify(d).replace('"DEEP"', nested(100_000));
      },
    ],
  ];
}
