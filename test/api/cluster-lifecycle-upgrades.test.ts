import { afterEach, describe, expect, it } from "vitest";
import type { CheckTaskRunner } from "../../src/engine/check-runner.js";
import { startCheckRunner } from "../support/check-runner.js";
import { DIALECTS } from "../support/databases.js";
import { PROJECT, testSeed, upgradeBody } from "../support/fixtures.js";
import { createClusterBody, createNodePoolBody } from "../support/lifecycle-bodies.js";
import { testSystem } from "../support/system.js";

const CLUSTERS = `/api/v3/projects/${PROJECT}/clusters`;
const TWIN = "44444444-5555-4666-8777-888888888888";
const VERSION = "v1.28.15-r90";
const TARGET = "v1.29.15-r50";
type Json = ReturnType<typeof JSON.parse>;

/** The test seed with a cluster the API-made one copies: same version and flavor, one pool of two nodes. */
function seedWithTwin() {
  const seed = testSeed();
  seed.projects[0]?.clusters?.push({
    id: TWIN,
    name: "twin",
    version: VERSION,
    flavor: "cce.s1.small",
    nodePools: [{ id: "twin-pool", name: "workers", nodeCount: 2 }],
  });
  return seed;
}

/** What a document says once the names, IDs and times of one cluster and its tasks are taken out. */
function shape(value: Json): Json {
  const text = JSON.stringify(value)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<id>")
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC/g, "<time>")
    .replace(/\b(twin-)?workers-[a-z0-9]+\b/g, "<node>")
    .replace(/\b(made|twin)\b/g, "<cluster>");
  return JSON.parse(text);
}

describe.each(DIALECTS)("an API-made cluster in the upgrade family on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>> | undefined;
  let runner: CheckTaskRunner | undefined;
  afterEach(async () => {
    await runner?.stop();
    await system?.close();
  });

  it("is pre-checked, upgraded, post-checked and reported as its seeded twin is", async () => {
    const s = await testSystem(dialect, { speed: 400, seed: seedWithTwin() });
    system = s;
    runner = startCheckRunner(s.store, { speed: 400, pollIntervalMs: 20 });
    runner.start();
    const created = await s.call("POST", CLUSTERS, createClusterBody("made"));
    const made: string = created.body.metadata.uid;
    const until = async (read: () => Promise<Json>, done: (value: Json) => boolean) => {
      for (let tries = 0; tries < 1000; tries++) {
        const value = await read();
        if (done(value)) return value;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error("not there in time");
    };
    await until(
      async () => (await s.call("GET", `${CLUSTERS}/${made}`)).body,
      (c) => c.status.phase === "Available",
    );
    const pool = await s.call("POST", `${CLUSTERS}/${made}/nodepools`, createNodePoolBody("workers", 2));
    await until(
      async () => (await s.call("GET", `${CLUSTERS}/${made}/nodepools/${pool.body.metadata.uid}`)).body,
      (p) => p.status.phase === "",
    );

    const lifeOf = async (cluster: string) => {
      const path = `${CLUSTERS}/${cluster}`;
      const info = (await s.call("GET", `${path}/upgradeinfo`)).body;
      const check = await s.call("POST", `${path}/operation/precheck`, {
        kind: "PreCheckTask",
        apiVersion: "v3",
        spec: { clusterID: cluster, clusterVersion: VERSION, targetVersion: TARGET },
      });
      const precheck = await until(
        async () => (await s.call("GET", `${path}/operation/precheck/tasks/${check.body.metadata.uid}`)).body,
        (task) => task.status.phase !== "Init" && task.status.phase !== "Running",
      );
      const upgrade = await s.call("POST", `${path}/operation/upgrade`, upgradeBody(TARGET));
      await s.waitForTask(cluster, upgrade.body.uid, (task) => task.status.phase === "Success", 30_000);
      const plan = await s.plan(cluster, upgrade.body.uid);
      const postcheck = (
        await s.call("POST", `${path}/operation/postcheck`, {
          kind: "PostCheckTask",
          apiVersion: "v3",
          spec: { clusterID: cluster, clusterVersion: VERSION, targetVersion: TARGET },
        })
      ).body;
      const nodes = (await s.call("GET", `/ext/v1/projects/${PROJECT}/clusters/${cluster}/nodes`)).body;
      return {
        info: shape(info),
        precheck: shape({ phase: precheck.status.phase, items: precheck.status }),
        plan: plan.steps.map((step: Json) => [step.kind, step.targets.length]),
        postcheck: shape(postcheck.status),
        versions: nodes.items.map((node: Json) => node.version),
      };
    };
    const twin = await lifeOf(TWIN);
    const api = await lifeOf(made);
    expect(twin.precheck.phase).toBe("Success");
    expect(twin.postcheck.phase).toBe("Success");
    expect(twin.versions).toEqual([TARGET, TARGET]);
    expect(api).toEqual(twin);
  });
});
