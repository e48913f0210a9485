import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/domain/clock.js";
import { ClusterJobRunner } from "../../src/engine/cluster-job-runner.js";
import { clusterJobStore } from "../../src/store/cluster-job-store.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, OTHER_TOKEN, PROJECT, TOKEN, upgradeBody } from "../support/fixtures.js";
import { createClusterBody as clusterBody, createNodePoolBody as poolBody } from "../support/lifecycle-bodies.js";
import { testSystem } from "../support/system.js";
import { expectCceError } from "../support/wire.js";

const CLUSTERS = `/api/v3/projects/${PROJECT}/clusters`;
const silent = { info() {}, warn() {}, error() {} };
type Json = ReturnType<typeof JSON.parse>;
type System = Awaited<ReturnType<typeof testSystem>>;

/** An object nesting `depth` levels of objects. */
function nested(depth: number): object {
  let value: object = {};
  for (let level = 1; level < depth; level++) value = { a: value };
  return value;
}

describe.each(DIALECTS)("the cluster lifecycle API on %s", (dialect) => {
  let system: System | undefined;
  afterEach(async () => system?.close());

  /** A system whose job runner and engine do not run: what a request leaves stays as it left it. */
  const stillSystem = async () => {
    system = await testSystem(dialect, { startEngine: false });
    return system;
  };
  const clusterCount = async (s: System) => (await s.call("GET", CLUSTERS)).body.items.length;
  /** Runs the cluster jobs until none is due; each job needs two moves. */
  const finishJobs = async (s: System) => {
    const runner = new ClusterJobRunner(
      clusterJobStore(s.store),
      systemClock(),
      { pollIntervalMs: 10, speed: Number.POSITIVE_INFINITY },
      silent,
    );
    while ((await runner.runOnce()) > 0);
  };
  const createAvailable = async (s: System, name: string, change: Record<string, unknown> = {}): Promise<string> => {
    const created = await s.call("POST", CLUSTERS, clusterBody(name, change));
    expect(created.status).toBe(201);
    await finishJobs(s);
    return created.body.metadata.uid;
  };

  it("refuses bad CreateCluster bodies with CCE's codes, and writes nothing for them", async () => {
    const s = await stillSystem();
    const before = await clusterCount(s);
    const cases: [unknown, number, string][] = [
      [clusterBody("Upper-case"), 400, "CCE.01400001"],
      [clusterBody("abc"), 400, "CCE.01400001"],
      [clusterBody("ends-with-"), 400, "CCE.01400001"],
      [clusterBody("ok-name", { flavor: "cce.s9.huge" }), 400, "CCE.01400001"],
      [clusterBody("ok-name", { version: "v1.99" }), 400, "CCE.01400015"],
      [clusterBody("ok-name", { kubernetesSvcIpRange: "10.247.0.1/16" }), 400, "CCE.01400001"],
      [clusterBody("ok-name", { kubernetesSvcIpRange: "172.16.0.0/16" }), 400, "CCE.01400005"],
      [clusterBody("ok-name", { containerNetwork: { mode: "eni" } }), 400, "CCE.01400001"],
      [clusterBody("ok-name", { category: "Turbo", flavor: "cce.s2.small" }), 400, "CCE.01400001"],
      [clusterBody("ok-name", { hostNetwork: { vpc: "vpc-1" } }), 400, "CCE.01400001"],
      [{ ...clusterBody("ok-name"), kind: "Node" }, 400, "CCE.01400001"],
      [clusterBody("prod-a"), 409, "CCE.01409001"],
      // What an export of the project could not restore: a spec nested too deep or too long, a body nested too deep.
      [clusterBody("ok-name", { extendParam: nested(33) }), 400, "CCE.01400001"],
      [clusterBody("ok-name", { extendParam: { big: "x".repeat(70_000) } }), 400, "CCE.01400001"],
      [clusterBody("ok-name", { eniNetwork: nested(100) }), 400, "CCE.01400001"],
    ];
    for (const [body, status, code] of cases) {
      const response = await s.app.inject({
        method: "POST",
        url: CLUSTERS,
        headers: { "x-auth-token": TOKEN },
        payload: body as object,
      });
      expectCceError(response, status, code);
    }
    expect(await clusterCount(s)).toBe(before);
  });

  it("refuses a body nested deeper than 64 levels before reading it, on every route", async () => {
    const s = await stillSystem();
    const deep = `${'{"a":'.repeat(150_000)}1${"}".repeat(150_000)}`;
    for (const url of [CLUSTERS, `${CLUSTERS}/${CLUSTER}/operation/upgrade`, `/ext/v1/projects/${PROJECT}/state`]) {
      const response = await s.app.inject({
        method: url.endsWith("/state") ? "PUT" : "POST",
        url,
        headers: { "x-auth-token": TOKEN, "content-type": "application/json" },
        payload: `{"kind":"Cluster","apiVersion":"v3","metadata":{"name":"deep-one"},"spec":${deep}}`,
      });
      expect(expectCceError(response, 400, "CCE.01400001").errorMessage).toBe(
        "request body nests deeper than 64 levels",
      );
    }
  });

  it("gives a name to one of many concurrent CreateCluster requests, and one pool name to one of many", async () => {
    const s = await stillSystem();
    const created = await Promise.all(
      Array.from({ length: 6 }, () => s.call("POST", CLUSTERS, clusterBody("same-name"))),
    );
    expect(created.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const id = created.find((r) => r.status === 201)?.body.metadata.uid;
    await finishJobs(s);
    const pools = await Promise.all(
      Array.from({ length: 4 }, () => s.call("POST", `${CLUSTERS}/${id}/nodepools`, poolBody("same", 1))),
    );
    expect(pools.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    expect((await s.call("GET", `${CLUSTERS}/${id}/nodes`)).body.items).toHaveLength(1);
  });

  it("keeps a creating cluster from upgrades, checks, backups, node pools and deletion until its job ends", async () => {
    const s = await stillSystem();
    const created = await s.call("POST", CLUSTERS, clusterBody("young"));
    const path = `${CLUSTERS}/${created.body.metadata.uid}`;
    const refusals = [
      await s.call("POST", `${path}/operation/upgrade`, upgradeBody("v1.29.15-r50")),
      await s.call("POST", `${path}/operation/precheck`, {
        kind: "PreCheckTask",
        apiVersion: "v3",
        spec: { clusterID: created.body.metadata.uid, clusterVersion: "v1.28.15-r90", targetVersion: "v1.29" },
      }),
      await s.call("POST", `/api/v3.1/projects/${PROJECT}/clusters/${created.body.metadata.uid}/operation/snapshot`),
      await s.call("POST", `${path}/nodepools`, poolBody("p", 1)),
      await s.call("DELETE", path),
    ];
    expect(refusals.map((r) => [r.status, r.body.errorCode])).toEqual(Array(5).fill([403, "CCE.01403003"]));
    await finishJobs(s);
    expect((await s.call("GET", path)).body.status.phase).toBe("Available");
    expect((await s.call("POST", `${path}/nodepools`, poolBody("p", 1))).status).toBe(201);
  });

  it("refuses to delete a cluster or change its nodes while an upgrade is under way", async () => {
    const s = await stillSystem();
    const upgrade = await s.call("POST", `${CLUSTERS}/${CLUSTER}/operation/upgrade`, upgradeBody("v1.29.15-r50"));
    expect(upgrade.status).toBe(200);
    const nodes = (await s.call("GET", `${CLUSTERS}/${CLUSTER}/nodes`)).body.items;
    const refusals = [
      await s.call("DELETE", `${CLUSTERS}/${CLUSTER}`),
      await s.call("POST", `${CLUSTERS}/${CLUSTER}/nodepools`, poolBody("late", 1)),
      await s.call("PUT", `${CLUSTERS}/${CLUSTER}/nodepools/pool-b`, {
        metadata: { name: "b" },
        spec: { initialNodeCount: 4 },
      }),
      await s.call("DELETE", `${CLUSTERS}/${CLUSTER}/nodepools/pool-b`),
      await s.call("DELETE", `${CLUSTERS}/${CLUSTER}/nodes/${nodes[0].metadata.uid}`),
    ];
    expect(refusals.map((r) => [r.status, r.body.errorCode])).toEqual(Array(5).fill([409, "CCE.01409004"]));
    expect((await s.call("GET", `${CLUSTERS}/${CLUSTER}/nodes`)).body.items).toHaveLength(nodes.length);
    expect((await s.call("GET", `${CLUSTERS}/${CLUSTER}`)).body.status.phase).toBe("Available");
  });

  it("refuses an upgrade and a deletion while nodes come or go, and takes them once the pool settled", async () => {
    const s = await stillSystem();
    const id = await createAvailable(s, "scaling");
    const pool = await s.call("POST", `${CLUSTERS}/${id}/nodepools`, poolBody("p", 2));
    expect(pool.status).toBe(201);
    const upgrade = () => s.call("POST", `${CLUSTERS}/${id}/operation/upgrade`, upgradeBody("v1.29.15-r50"));
    const refusals = [await upgrade(), await s.call("DELETE", `${CLUSTERS}/${id}`)];
    expect(refusals.map((r) => [r.status, r.body.errorCode])).toEqual(Array(2).fill([403, "CCE.01403003"]));
    expect(await s.runnableTasks()).toEqual([]);
    await finishJobs(s);
    expect((await upgrade()).status).toBe(200);
  });

  it("refuses a retry of a failed upgrade once its cluster is being deleted", async () => {
    const s = await stillSystem();
    const upgrade = await s.call("POST", `${CLUSTERS}/${CLUSTER}/operation/upgrade`, upgradeBody("v1.29.15-r50"));
    await s.store.db.updateTable("upgrade_tasks").set({ phase: "Failed" }).where("id", "=", upgrade.body.uid).execute();
    expect((await s.call("DELETE", `${CLUSTERS}/${CLUSTER}`)).status).toBe(200);
    const retry = await s.call("POST", `${CLUSTERS}/${CLUSTER}/operation/upgrade/retry`);
    expect([retry.status, retry.body.errorCode]).toEqual([403, "CCE.01403003"]);
    expect(await s.runnableTasks()).toEqual([]);
  });

  it("answers another project's clusters, pools, nodes and jobs as unknown, and lets it reuse the names", async () => {
    const s = await stillSystem();
    const created = await s.call("POST", CLUSTERS, clusterBody("mine"));
    const id = created.body.metadata.uid;
    await finishJobs(s);
    const pool = await s.call("POST", `${CLUSTERS}/${id}/nodepools`, poolBody("p", 1));
    const other = (method: "GET" | "PUT" | "DELETE" | "POST", url: string, payload?: object) =>
      s.app.inject({ method, url, headers: { "x-auth-token": OTHER_TOKEN }, ...(payload && { payload }) });
    const foreign = `/api/v3/projects/${PROJECT}`;
    // Through its own project path the other tenant cannot reach this project at all.
    expectCceError(await other("GET", `${foreign}/clusters/${id}`), 403, "APIGW.0302");
    const otherProject = "fedcba9876543210fedcba9876543210";
    const mine = `/api/v3/projects/${otherProject}`;
    for (const url of [
      `${mine}/clusters/${id}`,
      `${mine}/clusters/${id}/nodepools`,
      `${mine}/clusters/${id}/nodepools/${pool.body.metadata.uid}`,
      `${mine}/clusters/${id}/nodes`,
      `${mine}/jobs/${created.body.status.jobID}`,
    ]) {
      expectCceError(await other("GET", url), 404, "CCE.01404001");
    }
    expectCceError(await other("DELETE", `${mine}/clusters/${id}`), 404, "CCE.01404001");
    expectCceError(await other("PUT", `${mine}/clusters/${id}`, { spec: { description: "x" } }), 404, "CCE.01404001");
    expect((await other("POST", `${mine}/clusters`, clusterBody("mine"))).statusCode).toBe(201);
    expect((await s.call("GET", `${CLUSTERS}/${id}`)).body.status.phase).toBe("Available");
  });

  it("refuses more nodes than the cluster's flavor manages", async () => {
    const s = await stillSystem();
    const id = await createAvailable(s, "small-one");
    expectCceError(
      await s.app.inject({
        method: "POST",
        url: `${CLUSTERS}/${id}/nodepools`,
        headers: { "x-auth-token": TOKEN },
        payload: poolBody("big", 51),
      }),
      400,
      "CCE.01400014",
    );
    expect((await s.call("POST", `${CLUSTERS}/${id}/nodepools`, poolBody("fits", 50))).status).toBe(201);
    expect((await s.call("GET", `${CLUSTERS}/${id}/nodes`)).body.items).toHaveLength(50);
  });

  it("validates node pool bodies and names, and keeps no password", async () => {
    const s = await stillSystem();
    const id = await createAvailable(s, "pools");
    const bad: [object, number, string][] = [
      [poolBody("DefaultPool", 1), 400, "CCE.01400001"],
      [poolBody("p", 1, { rootVolume: { size: 20, volumetype: "SAS" } }), 400, "CCE.01400001"],
      [poolBody("p", 1, { dataVolumes: [] }), 400, "CCE.01400001"],
      [poolBody("p", 1, { login: {} }), 400, "CCE.01400001"],
      [poolBody("p", 1, { login: { sshKey: "k", userPassword: { password: "Secret-123" } } }), 400, "CCE.01400001"],
      [poolBody("p", -1), 400, "CCE.01400001"],
    ];
    for (const [body, status, code] of bad) {
      expectCceError(
        await s.app.inject({
          method: "POST",
          url: `${CLUSTERS}/${id}/nodepools`,
          headers: { "x-auth-token": TOKEN },
          payload: body,
        }),
        status,
        code,
      );
    }
    const withPassword = await s.call(
      "POST",
      `${CLUSTERS}/${id}/nodepools`,
      poolBody("pw", 1, { login: { userPassword: { password: "Secret-123" } } }),
    );
    expect(withPassword.status).toBe(201);
    expect(withPassword.body.spec.nodeTemplate.login).toEqual({ userPassword: { username: "root" } });
    const rows = await s.store.db.selectFrom("node_pools").select("spec").where("cluster_id", "=", id).execute();
    expect(JSON.stringify(rows)).not.toContain("Secret-123");
    expectCceError(
      await s.app.inject({
        method: "POST",
        url: `${CLUSTERS}/${id}/nodepools`,
        headers: { "x-auth-token": TOKEN },
        payload: poolBody("pw", 1),
      }),
      409,
      "CCE.01409001",
    );
  });

  it("lists DefaultPool only when asked, and deletes a node with or without scaling its pool down", async () => {
    const s = await stillSystem();
    const names = async (query: string) =>
      (await s.call("GET", `${CLUSTERS}/${CLUSTER}/nodepools${query}`)).body.items.map((p: Json) => p.metadata.name);
    expect(await names("")).toEqual(["b"]);
    expect(await names("?showDefaultNodePool=true")).toEqual(["DefaultPool", "b"]);
    const id = await createAvailable(s, "nodes");
    const pool = await s.call("POST", `${CLUSTERS}/${id}/nodepools`, poolBody("p", 3));
    await finishJobs(s);
    const poolPath = `${CLUSTERS}/${id}/nodepools/${pool.body.metadata.uid}`;
    const [first, second] = (await s.call("GET", `${CLUSTERS}/${id}/nodes`)).body.items;
    expect((await s.call("DELETE", `${CLUSTERS}/${id}/nodes/${first.metadata.uid}`)).body.status.phase).toBe(
      "Deleting",
    );
    expect(
      (await s.call("DELETE", `${CLUSTERS}/${id}/nodes/${second.metadata.uid}?nodepoolScaleDown=NoScaleDown`)).status,
    ).toBe(200);
    await finishJobs(s);
    const shown = (await s.call("GET", poolPath)).body;
    expect({ count: shown.spec.initialNodeCount, current: shown.status.currentNode }).toEqual({ count: 2, current: 1 });
    expectCceError(
      await s.app.inject({
        url: `${CLUSTERS}/${id}/nodes/${first.metadata.uid}`,
        headers: { "x-auth-token": TOKEN },
      }),
      404,
      "CCE.01404001",
    );
  });

  it("UpdateCluster changes the description, alias and custom SANs and nothing else", async () => {
    const s = await stillSystem();
    const id = await createAvailable(s, "update-me");
    const before = (await s.call("GET", `${CLUSTERS}/${id}`)).body;
    const updated = await s.call("PUT", `${CLUSTERS}/${id}`, {
      metadata: { alias: "shown-name" },
      spec: { description: "new words", customSan: ["api.example.com", "10.0.0.9"] },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.metadata.alias).toBe("shown-name");
    expect(updated.body.spec).toEqual({
      ...before.spec,
      description: "new words",
      customSan: ["api.example.com", "10.0.0.9"],
    });
    expectCceError(
      await s.app.inject({
        method: "PUT",
        url: `${CLUSTERS}/${id}`,
        headers: { "x-auth-token": TOKEN },
        payload: { spec: { description: "x".repeat(201) } },
      }),
      400,
      "CCE.01400001",
    );
  });

  it("moves each job once however many runners race for it", async () => {
    const s = await stillSystem();
    const created = await s.call("POST", CLUSTERS, clusterBody("raced"));
    const runners = Array.from(
      { length: 4 },
      () =>
        new ClusterJobRunner(
          clusterJobStore(s.store),
          systemClock(),
          { pollIntervalMs: 10, speed: Number.POSITIVE_INFINITY },
          silent,
        ),
    );
    for (let round = 0; round < 3; round++) await Promise.all(runners.map((runner) => runner.runOnce()));
    const job = await s.store.db
      .selectFrom("cluster_jobs")
      .select(["phase", "fence"])
      .where("id", "=", created.body.status.jobID)
      .executeTakeFirstOrThrow();
    // Two moves, Initializing → Running → Success: a runner moving a job it did not read as it was would add more.
    expect(job).toEqual({ phase: "Success", fence: 2 });
  });

  it("finishes a job a stopped runner left, after a restart", async () => {
    const s = await stillSystem();
    const created = await s.call("POST", CLUSTERS, clusterBody("restarted"));
    const first = new ClusterJobRunner(
      clusterJobStore(s.store),
      systemClock(),
      { pollIntervalMs: 10, speed: 1 },
      silent,
    );
    expect(await first.runOnce()).toBe(1);
    expect(
      (await s.call("GET", `/api/v3/projects/${PROJECT}/jobs/${created.body.status.jobID}`)).body.status.phase,
    ).toBe("Running");
    // The job is due again 20 s from now: a second runner, started later, finishes it.
    await s.store.db.updateTable("cluster_jobs").set({ due_at: 0 }).execute();
    const second = new ClusterJobRunner(
      clusterJobStore(s.store),
      systemClock(),
      { pollIntervalMs: 10, speed: 1 },
      silent,
    );
    expect(await second.runOnce()).toBe(1);
    const job = (await s.call("GET", `/api/v3/projects/${PROJECT}/jobs/${created.body.status.jobID}`)).body;
    expect(job.status.phase).toBe("Success");
    expect(job.spec.subJobs.map((sub: Json) => [sub.spec.type, sub.status.phase])).toEqual([
      ["InstallMaster", "Success"],
      ["CreatePSMCert", "Success"],
    ]);
    expect((await s.call("GET", `${CLUSTERS}/${created.body.metadata.uid}`)).body.status.phase).toBe("Available");
  });
});
