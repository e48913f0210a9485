import { afterEach, describe, expect, it } from "vitest";
import type { CheckTaskRunner } from "../../src/engine/check-runner.js";
import { startCheckRunner } from "../support/check-runner.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, PROJECT } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

describe.each(DIALECTS)("the check runner on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  let runner: CheckTaskRunner | undefined;
  afterEach(async () => {
    await runner?.stop();
    await system?.close();
  });

  it("finishes pre-checks and backups a stopped runner left Running, from the state in the database", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const cluster = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
    const precheck = await system.call("POST", `${cluster}/operation/precheck`, {
      kind: "PreCheckTask",
      apiVersion: "v3",
      spec: { targetVersion: "v1.29" },
    });
    const snapshotPath = `/api/v3.1/projects/${PROJECT}/clusters/${CLUSTER}/operation/snapshot`;
    await system.call("POST", snapshotPath);
    const show = async () =>
      (await system.call("GET", `${cluster}/operation/precheck/tasks/${precheck.body.metadata.uid}`)).body;
    const backup = async () => (await system.call("GET", `${snapshotPath}/tasks`)).body.items[0];

    const first = startCheckRunner(system.store, { precheckMs: 300, snapshotMs: 300 });
    await first.stop();
    expect((await show()).status.phase).toBe("Running");
    expect((await backup()).status.phase).toBe("Running");

    runner = startCheckRunner(system.store, { precheckMs: 0, snapshotMs: 0 });
    await expect.poll(async () => (await show()).status.phase, { timeout: 5_000 }).toBe("Success");
    await expect.poll(async () => (await backup()).status.phase, { timeout: 5_000 }).toBe("Success");
  });
});
