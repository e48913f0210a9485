import { afterEach, describe, expect, it } from "vitest";
import type { SeedFile } from "../../src/store/seed-file.js";
import { pollUntil, startCheckRunner } from "../support/check-runner.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, PROJECT, testSeed } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

const P = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;

/** The test seed with CLUSTER changed by `change`. */
function seedWith(change: (cluster: NonNullable<SeedFile["projects"][0]["clusters"]>[0]) => void): SeedFile {
  const seed = testSeed();
  change(seed.projects[0]?.clusters?.[0] as NonNullable<SeedFile["projects"][0]["clusters"]>[0]);
  return seed;
}

/** The pre-check an upgrade embeds and the standalone one give the same answer on the same cluster and target. */
describe.each(DIALECTS)("the embedded and the standalone pre-check on %s", (dialect) => {
  const systems: Awaited<ReturnType<typeof testSystem>>[] = [];
  const runners: ReturnType<typeof startCheckRunner>[] = [];
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
    await Promise.all(systems.splice(0).map((system) => system.close()));
  });

  /** The standalone pre-check's phase and message, and the embedded one's outcome, each on its own copy. */
  async function bothOn(seed: SeedFile) {
    const standalone = await testSystem(dialect, { seed, startEngine: false });
    const embedded = await testSystem(dialect, { seed });
    systems.push(standalone, embedded);
    runners.push(startCheckRunner(standalone.store));
    const body = { kind: "PreCheckTask", apiVersion: "v3", spec: { targetVersion: "v1.29" } };
    const uid = (await standalone.call("POST", `${P}/operation/precheck`, body)).body.metadata.uid;
    const check = await pollUntil(
      async () => (await standalone.call("GET", `${P}/operation/precheck/tasks/${uid}`)).body,
      (task) => ["Success", "Failed", "Error"].includes(task.status.phase),
    );
    const taskId = await embedded.startUpgrade(CLUSTER, "v1.29");
    const task = await embedded.waitForTask(CLUSTER, taskId, (t) => ["Success", "Failed"].includes(t.status.phase));
    return { check: check.status, task };
  }

  it("both refuse a cluster with a node that is not Active, for the same reason", async () => {
    const { check, task } = await bothOn(seedWith((cluster) => (cluster.abnormalNodes = ["prod-a-b-1"])));
    expect(check.phase).toBe("Failed");
    expect(task.status.phase).toBe("Failed");
    expect(task.spec.items?.failureReason).toBe(`precheck: PreCheckFailed: ${check.message}`);
    expect(check.message).toBe("pre-check failed: NodeStatus on prod-a-b-1 (the node is Abnormal)");
  });

  it("both let a cluster with only warnings through", async () => {
    const { check, task } = await bothOn(
      seedWith((cluster) => {
        cluster.deprecatedAPIs = [
          { url: "/apis/extensions/v1beta1/ingresses", userAgent: "kubectl", removedIn: "v1.22" },
        ];
      }),
    );
    expect(check.phase).toBe("Success");
    expect(check.message).toMatch(/^pre-check passed with warnings: DeprecatedAPIs/);
    expect(task.status.phase).toBe("Success");
  });

  it("both pass a healthy cluster", async () => {
    const { check, task } = await bothOn(testSeed());
    expect([check.phase, task.status.phase]).toEqual(["Success", "Success"]);
  });
});
