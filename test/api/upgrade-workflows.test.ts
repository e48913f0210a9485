import { afterEach, describe, expect, it } from "vitest";
import { POINT_STATUSES, TASK_TYPES, WORKFLOW_PHASES } from "../../src/domain/upgrade-workflow.js";
import type { CheckTaskRunner } from "../../src/engine/check-runner.js";
import { pollUntil, startCheckRunner } from "../support/check-runner.js";
import { CLUSTER, PROJECT, TOKEN } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";
import { expectCceError, GO_TIME, keyPaths } from "../support/wire.js";

type System = Awaited<ReturnType<typeof testSystem>>;
const P = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
const WORKFLOWS = `${P}/operation/upgradeworkflows`;

const workflowBody = (spec: Record<string, unknown>) => ({ kind: "WorkFlowTask", apiVersion: "v3", spec });

describe("upgrade workflows", () => {
  let system: System;
  let runner: CheckTaskRunner | undefined;
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await system?.close();
  });

  const patch = (id: string, payload: unknown) =>
    system.app.inject({
      method: "PATCH",
      url: `${WORKFLOWS}/${id}`,
      headers: { "x-auth-token": TOKEN },
      payload: payload as object,
    });
  const show = async (id: string) => (await system.call("GET", `${WORKFLOWS}/${id}`)).body;

  it("creates a workflow (201) with resolved versions from an empty current and a major-only target", async () => {
    system = await testSystem("sqlite");
    const { status, body } = await system.call(
      "POST",
      WORKFLOWS,
      workflowBody({ clusterID: CLUSTER, clusterVersion: "", targetVersion: "v1.29" }),
    );
    expect(status).toBe(201);
    expect(keyPaths(body)).toEqual(
      [
        "apiVersion",
        "kind",
        "metadata.creationTimestamp",
        "metadata.uid",
        "metadata.updateTimestamp",
        "spec.clusterID",
        "spec.clusterVersion",
        "spec.targetVersion",
        "status.lineStatuses[].critical",
        "status.lineStatuses[].endPoint.taskType",
        "status.lineStatuses[].startPoint.taskType",
        "status.phase",
        "status.pointStatuses[].status",
        "status.pointStatuses[].taskType",
      ].sort(),
    );
    expect(body).toMatchObject({
      kind: "WorkFlowTask",
      apiVersion: "v3",
      spec: { clusterID: CLUSTER, clusterVersion: "v1.28.15-r30", targetVersion: "v1.29.15-r50" },
      status: {
        phase: "Init",
        pointStatuses: [
          { taskType: "PreCheck", status: "Init" },
          { taskType: "Cluster", status: "Init" },
          { taskType: "PostCheck", status: "Init" },
        ],
        lineStatuses: [
          { startPoint: { taskType: "PreCheck" }, endPoint: { taskType: "Cluster" }, critical: true },
          { startPoint: { taskType: "Cluster" }, endPoint: { taskType: "PostCheck" }, critical: false },
        ],
      },
    });
    expect(body.metadata.creationTimestamp).toMatch(GO_TIME);
    const list = (await system.call("GET", WORKFLOWS)).body;
    expect(Object.keys(list).sort()).toEqual(["apiVersion", "items", "kind"]);
    expect(list).toMatchObject({ kind: "List", apiVersion: "v3" });
    expect(list.items).toEqual([await show(body.metadata.uid)]);
  });

  it.each([
    [
      "spec.targetVersion is required",
      workflowBody({ clusterVersion: "" }),
      400,
      "CCE.01400001",
      /spec\.targetVersion/,
    ],
    ["kind", { ...workflowBody({ targetVersion: "v1.29" }), kind: "UpgradeTask" }, 400, "CCE.01400001", /kind/],
    [
      "a stale clusterVersion",
      workflowBody({ clusterVersion: "v1.27.16-r30", targetVersion: "v1.29" }),
      400,
      "CCE.01400001",
      /spec\.clusterVersion/,
    ],
    ["a target without a path", workflowBody({ targetVersion: "v1.32" }), 400, "CCE.01400015", /spec\.targetVersion/],
    ["an unknown target", workflowBody({ targetVersion: "v9.9" }), 400, "CCE.01400015", /spec\.targetVersion/],
  ])("refuses %s", async (_, body, status, code, message) => {
    system = await testSystem("sqlite");
    const { response } = await system.call("POST", WORKFLOWS, body);
    expect(expectCceError(response, status, code).errorMessage).toMatch(message);
    expect((await system.call("GET", WORKFLOWS)).body.items).toEqual([]);
  });

  it("follows the cluster's real tasks: Running, Pending on a failed pre-check, Success after post-check", async () => {
    system = await testSystem("sqlite");
    runner = startCheckRunner(system.store);
    const id = (await system.call("POST", WORKFLOWS, workflowBody({ targetVersion: "v1.29" }))).body.metadata.uid;
    const fault = { step: "precheck", target: "NodePools", times: 1, error: "PoolSkew" };
    await system.call("POST", `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/faults`, fault);
    const precheck = { kind: "PreCheckTask", apiVersion: "v3", spec: { targetVersion: "v1.29" } };
    await system.call("POST", `${P}/operation/precheck`, precheck);
    const pending = await pollUntil(
      () => show(id),
      (w) => w.status.phase === "Pending",
    );
    expect(pending.status.pointStatuses[0]).toMatchObject({ taskType: "PreCheck", status: "Failed" });

    const second = (await system.call("POST", `${P}/operation/precheck`, precheck)).body.metadata.uid;
    const checked = await pollUntil(
      () => show(id),
      (w) => w.status.pointStatuses[0].status === "Success",
    );
    expect(checked.status.phase).toBe("Running");
    expect(checked.status.pointStatuses[0]).toMatchObject({
      taskID: second,
      startTimeStamp: expect.stringMatching(GO_TIME),
    });
    expect(checked.status.pointStatuses[0].expireTimeStamp).toMatch(GO_TIME);

    const snapshotPath = `/api/v3.1/projects/${PROJECT}/clusters/${CLUSTER}/operation/snapshot`;
    const snapshot = (await system.call("POST", snapshotPath)).body.uid;
    // An upgrade waits for the backup, as terraform does.
    await pollUntil(
      async () => (await system.call("GET", `${snapshotPath}/tasks`)).body,
      (list) => list.items[0]?.status.phase === "Success",
    );
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (task) => task.status.phase === "Success");
    await system.call("POST", `${P}/operation/postcheck`, {
      kind: "PostCheckTask",
      apiVersion: "v3",
      spec: { targetVersion: "v1.29" },
    });
    const done = await show(id);
    expect(done.status.phase).toBe("Success");
    expect(done.status.pointStatuses.map((p: { taskType: string; taskID: string }) => [p.taskType, p.taskID])).toEqual([
      ["PreCheck", second],
      ["Snapshot", snapshot],
      ["Cluster", taskId],
      ["PostCheck", expect.any(String)],
    ]);
    for (const point of done.status.pointStatuses) {
      expect(TASK_TYPES).toContain(point.taskType);
      expect(POINT_STATUSES).toContain(point.status);
      expect(point.endTimeStamp).toMatch(GO_TIME);
    }
    expect(WORKFLOW_PHASES).toContain(done.status.phase);
    expect(done.status.lineStatuses).toHaveLength(3);
    expectCceError(await patch(id, { status: { phase: "Cancel" } }), 403, "CCE.01403003");
  });

  it("cancels with PATCH; refuses other phases (400), a second cancel and a running upgrade (403)", async () => {
    system = await testSystem("sqlite", { startEngine: false });
    const id = (await system.call("POST", WORKFLOWS, workflowBody({ targetVersion: "v1.29" }))).body.metadata.uid;
    expect(expectCceError(await patch(id, { status: { phase: "Success" } }), 400, "CCE.01400001").errorMessage).toMatch(
      /status\.phase/,
    );
    expect(expectCceError(await patch(id, {}), 400, "CCE.01400001").errorMessage).toMatch(/status/);
    expectCceError(await patch("nope", { status: { phase: "Cancel" } }), 404, "CCE.01404001");

    const cancelled = await patch(id, { status: { phase: "Cancel" } });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().status.phase).toBe("Cancel");
    expectCceError(await patch(id, { status: { phase: "Cancel" } }), 403, "CCE.01403003");

    const running = (await system.call("POST", WORKFLOWS, workflowBody({ targetVersion: "v1.29" }))).body.metadata.uid;
    const stall = { step: "master", times: 1, error: "Stall", mode: "stall" };
    await system.call("POST", `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/faults`, stall);
    await system.startUpgrade(CLUSTER, "v1.29", { isOnlyUpgrade: true });
    system.engine.start();
    await pollUntil(
      () => show(running),
      (w) => ["Queuing", "Running"].includes(w.status.pointStatuses[1].status),
    );
    expectCceError(await patch(running, { status: { phase: "Cancel" } }), 403, "CCE.01403003");
    expect((await show(id)).status.phase).toBe("Cancel");
  });
});
