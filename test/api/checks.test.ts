import { afterEach, describe, expect, it } from "vitest";
import { CHECK_ITEM_GROUPS, CHECK_ITEM_KINDS, CHECK_ITEM_LEVELS } from "../../src/domain/upgrade-checks.js";
import type { CheckTaskRunner } from "../../src/engine/check-runner.js";
import type { SeedFile } from "../../src/store/seed-file.js";
import { pollUntil, startCheckRunner } from "../support/check-runner.js";
import { CLUSTER, OLD_CLUSTER, PROJECT, TOKEN, testSeed } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";
import { expectCceError, GO_TIME, keyPaths } from "../support/wire.js";

type System = Awaited<ReturnType<typeof testSystem>>;
const P = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
const SNAPSHOT = `/api/v3.1/projects/${PROJECT}/clusters/${CLUSTER}/operation/snapshot`;
const FAULTS = `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/faults`;

const precheckBody = (spec: Record<string, unknown> = {}) => ({
  kind: "PreCheckTask",
  apiVersion: "v3",
  spec: { clusterID: CLUSTER, clusterVersion: "v1.28.15-r30", targetVersion: "v1.29", ...spec },
});
const postcheckBody = (spec: Record<string, unknown> = {}) => ({
  kind: "PostCheckTask",
  apiVersion: "v3",
  spec: { clusterID: CLUSTER, clusterVersion: "v1.28.15-r30", targetVersion: "v1.29.15-r50", ...spec },
});

/** The test seed with deprecated APIs in use and one abnormal node on the main cluster. */
function troubledSeed(): SeedFile {
  const seed = testSeed();
  const cluster = seed.projects[0]?.clusters?.[0];
  if (!cluster) throw new Error("test seed has no cluster");
  cluster.deprecatedAPIs = [
    {
      url: "/apis/flowcontrol.apiserver.k8s.io/v1beta2/flowschemas",
      userAgent: "kube-manager/1.0",
      removedIn: "v1.29",
    },
    { url: "/apis/batch/v1beta1/cronjobs", userAgent: "legacy-cron", removedIn: "v1.31" },
  ];
  cluster.abnormalNodes = ["prod-a-defaultpool-2"];
  return { projects: seed.projects };
}

describe("pre-check, post-check, backup and upgrade information", () => {
  let system: System;
  let runner: CheckTaskRunner | undefined;
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await system?.close();
  });

  const start = async (options: Parameters<typeof testSystem>[1] = {}, runnerOptions = {}) => {
    system = await testSystem("sqlite", options);
    runner = startCheckRunner(system.store, runnerOptions);
  };
  const createPrecheck = async (spec: Record<string, unknown> = {}) => {
    const { status, body, response } = await system.call("POST", `${P}/operation/precheck`, precheckBody(spec));
    return { status, body, response };
  };
  const finishedPrecheck = async (uid: string) =>
    pollUntil(
      async () => (await system.call("GET", `${P}/operation/precheck/tasks/${uid}`)).body,
      (task) => !["Init", "Running"].includes(task.status.phase),
    );

  describe("CreatePreCheck / ShowPreCheck / ListPreCheckTasks", () => {
    it("answers with metadata.uid and the resolved spec, then moves Init → Running → Success with every item", async () => {
      await start({}, { speed: 40 });
      const created = await createPrecheck();
      expect(created.status).toBe(200);
      expect(keyPaths(created.body)).toEqual(
        [
          "apiVersion",
          "kind",
          "metadata.uid",
          "spec.clusterID",
          "spec.clusterVersion",
          "spec.targetVersion",
          "status.addonCheckStatus.itemsStatus[]",
          "status.addonCheckStatus.phase",
          "status.clusterCheckStatus.itemsStatus[]",
          "status.clusterCheckStatus.phase",
          "status.nodeCheckStatus.nodeStageStatus[]",
          "status.nodeCheckStatus.phase",
          "status.phase",
        ].sort(),
      );
      expect(created.body).toMatchObject({
        kind: "PreCheckTask",
        apiVersion: "v3",
        spec: { clusterID: CLUSTER, clusterVersion: "v1.28.15-r30", targetVersion: "v1.29.15-r50" },
        status: { phase: "Init" },
      });

      const phases = new Set<string>();
      const done = await pollUntil(
        async () => (await system.call("GET", `${P}/operation/precheck/tasks/${created.body.metadata.uid}`)).body,
        (task) => {
          phases.add(task.status.phase);
          return task.status.phase === "Success";
        },
      );
      expect(phases).toContain("Running");
      expect(done.metadata.creationTimestamp).toMatch(GO_TIME);
      expect(done.status.expireTimeStamp).toMatch(GO_TIME);
      expect(done.status.message).toBeUndefined();
      expect(done.status.clusterCheckStatus.itemsStatus.map((i: { name: string }) => i.name)).toEqual([
        "UpgradePath",
        "ClusterStatus",
        "NodePools",
        "DeprecatedAPIs",
      ]);
      expect(done.status.nodeCheckStatus.nodeStageStatus).toHaveLength(5);
      const items = [
        ...done.status.clusterCheckStatus.itemsStatus,
        ...done.status.addonCheckStatus.itemsStatus,
        ...done.status.nodeCheckStatus.nodeStageStatus.flatMap((s: { itemsStatus: unknown[] }) => s.itemsStatus),
      ];
      for (const item of items) {
        expect(CHECK_ITEM_KINDS).toContain(item.kind);
        expect(CHECK_ITEM_GROUPS).toContain(item.group);
        expect(CHECK_ITEM_LEVELS).toContain(item.level);
        expect(item.phase).toBe("Success");
      }
      expect(keyPaths(done.status.nodeCheckStatus.nodeStageStatus[0])).toEqual(
        [
          "itemsStatus[].group",
          "itemsStatus[].kind",
          "itemsStatus[].level",
          "itemsStatus[].message",
          "itemsStatus[].name",
          "itemsStatus[].phase",
          "nodeInfo.name",
          "nodeInfo.nodeType",
          "nodeInfo.status",
          "nodeInfo.uid",
        ].sort(),
      );
      const list = (await system.call("GET", `${P}/operation/precheck/tasks`)).body;
      expect(list).toMatchObject({ kind: "List", apiVersion: "v3" });
      expect(list.items.map((i: { metadata: { uid: string } }) => i.metadata.uid)).toEqual([done.metadata.uid]);
    });

    it("fails on deprecated APIs removed in the target and abnormal nodes, naming them; a node.uid skip skips only those nodes' items", async () => {
      const seed = troubledSeed();
      const cluster = seed.projects[0]?.clusters?.[0] as NonNullable<SeedFile["projects"][0]["clusters"]>[0];
      cluster.abnormalNodes = ["prod-a-defaultpool-2", "prod-a-b-1"];
      await start({ seed });
      const failed = await finishedPrecheck((await createPrecheck()).body.metadata.uid);
      expect(failed.status.phase).toBe("Failed");
      expect(failed.status.message).toMatch(
        /DeprecatedAPIs.*NodeStatus on prod-a-defaultpool-2.*NodeStatus on prod-a-b-1/,
      );
      const deprecated = failed.status.clusterCheckStatus.itemsStatus.find(
        (i: { name: string }) => i.name === "DeprecatedAPIs",
      );
      expect(deprecated).toMatchObject({ kind: "Risk", phase: "Failed" });
      expect(deprecated.riskSource.deprecatedAPIRisks).toEqual([
        { url: "/apis/flowcontrol.apiserver.k8s.io/v1beta2/flowschemas", userAgent: "kube-manager/1.0" },
      ]);
      type Stage = { nodeInfo: { uid: string; name: string; status: string }; itemsStatus: Record<string, unknown>[] };
      const stageOf = (task: typeof failed, name: string) =>
        task.status.nodeCheckStatus.nodeStageStatus.find((s: Stage) => s.nodeInfo.name === name) as Stage;
      const sick = stageOf(failed, "prod-a-defaultpool-2");
      expect(sick.nodeInfo.status).toBe("Abnormal");
      expect(sick.itemsStatus[0]).toMatchObject({
        name: "NodeStatus",
        phase: "Failed",
        riskSource: { nodeRisks: [{ NodeID: sick.nodeInfo.uid }] },
      });

      const skipped = await finishedPrecheck(
        (
          await createPrecheck({
            skippedCheckItemList: [
              { name: "DeprecatedAPIs" },
              {
                name: "NodeStatus",
                resourceSelector: { key: "node.uid", operator: "In", values: [sick.nodeInfo.uid] },
              },
            ],
          })
        ).body.metadata.uid,
      );
      expect(skipped.spec.skippedCheckItemList).toHaveLength(2);
      // Only the selected node's item is skipped: the other abnormal node is still evaluated and fails the check.
      expect(skipped.status.phase).toBe("Failed");
      expect(skipped.status.message).toMatch(/NodeStatus on prod-a-b-1/);
      expect(skipped.status.message).not.toMatch(/DeprecatedAPIs|prod-a-defaultpool-2/);
      expect(stageOf(skipped, "prod-a-defaultpool-2").itemsStatus[0]).toMatchObject({
        phase: "Success",
        level: "Info",
      });
      expect(stageOf(skipped, "prod-a-b-1").itemsStatus[0]).toMatchObject({ phase: "Failed", level: "Fatal" });
      for (const healthy of ["prod-a-defaultpool-1", "prod-a-defaultpool-3", "prod-a-b-2"]) {
        expect(stageOf(skipped, healthy).itemsStatus[0]).toMatchObject({ phase: "Success", level: "Fatal" });
      }
      expect(
        skipped.status.clusterCheckStatus.itemsStatus.find((i: { name: string }) => i.name === "DeprecatedAPIs"),
      ).toMatchObject({ phase: "Success", level: "Info" });
    });

    it("fails the item a precheck fault names (DeprecatedAPIs, a warning the check passes with) once; an unnamed fault ends the check in Error", async () => {
      await start();
      const fault = {
        step: "precheck",
        target: "DeprecatedAPIs",
        times: 1,
        error: "DeprecatedApiInUse",
        message: "flowschemas v1beta2 in use",
      };
      expect((await system.call("POST", FAULTS, fault)).status).toBe(201);
      const failed = await finishedPrecheck((await createPrecheck()).body.metadata.uid);
      expect(failed.status.phase).toBe("Success");
      expect(failed.status.message).toBe("pre-check passed with warnings: DeprecatedAPIs (flowschemas v1beta2 in use)");
      expect(
        failed.status.clusterCheckStatus.itemsStatus.find((i: { name: string }) => i.name === "DeprecatedAPIs"),
      ).toMatchObject({
        phase: "Failed",
        errorCodes: ["DeprecatedApiInUse"],
        message: "flowschemas v1beta2 in use",
      });
      expect((await finishedPrecheck((await createPrecheck()).body.metadata.uid)).status.phase).toBe("Success");

      await system.call("POST", FAULTS, { step: "precheck", times: 1, error: "CheckerCrashed" });
      const errored = await finishedPrecheck((await createPrecheck()).body.metadata.uid);
      expect(errored.status.phase).toBe("Error");
      expect(errored.status.message).toMatch(/CheckerCrashed/);
      expect(errored.status.clusterCheckStatus.itemsStatus[0].group).toBe("ExecuteException");
    });

    it("reports a target without an upgrade path as a failed UpgradePath item", async () => {
      await start();
      const response = await system.call(
        "POST",
        `/api/v3/projects/${PROJECT}/clusters/${OLD_CLUSTER}/operation/precheck`,
        {
          ...precheckBody({ clusterVersion: "", targetVersion: "v1.29" }),
        },
      );
      const failed = await pollUntil(
        async () =>
          (
            await system.call(
              "GET",
              `/api/v3/projects/${PROJECT}/clusters/${OLD_CLUSTER}/operation/precheck/tasks/${response.body.metadata.uid}`,
            )
          ).body,
        (task) => task.status.phase === "Failed",
      );
      expect(failed.status.clusterCheckStatus.itemsStatus[0]).toMatchObject({ name: "UpgradePath", phase: "Failed" });
    });

    it.each([
      ["kind", { ...precheckBody(), kind: "UpgradeTask" }, /kind/],
      ["apiVersion", { ...precheckBody(), apiVersion: "v2" }, /apiVersion/],
      ["spec", { kind: "PreCheckTask", apiVersion: "v3" }, /spec is required/],
      [
        "the selector key",
        precheckBody({
          skippedCheckItemList: [{ name: "NodeStatus", resourceSelector: { key: "node.name", operator: "In" } }],
        }),
        /resourceSelector\.key/,
      ],
      ["a stale clusterVersion", precheckBody({ clusterVersion: "v1.27" }), /spec\.clusterVersion/],
    ])("answers 400 CCE.01400001 naming %s", async (_, body, message) => {
      await start();
      const { response } = await system.call("POST", `${P}/operation/precheck`, body);
      expect(expectCceError(response, 400, "CCE.01400001").errorMessage).toMatch(message);
      expect((await system.call("GET", `${P}/operation/precheck/tasks`)).body.items).toEqual([]);
    });

    it("answers 400 CCE.01400015 for an unknown target and 404 for an unknown task or cluster", async () => {
      await start();
      expectCceError((await createPrecheck({ targetVersion: "v1.99" })).response, 400, "CCE.01400015");
      expectCceError((await system.call("GET", `${P}/operation/precheck/tasks/nope`)).response, 404, "CCE.01404001");
      const unknown = `/api/v3/projects/${PROJECT}/clusters/00000000-0000-4000-8000-000000000000/operation/precheck`;
      expectCceError((await system.call("POST", unknown, precheckBody())).response, 404, "CCE.01404001");
    });
  });

  describe("UpgradeCluster and the pre-check", () => {
    it("refuses an upgrade whose newest pre-check failed or expired with CCE.01400075, unless isOnlyUpgrade", async () => {
      await start({ startEngine: false }, { precheckValidityMs: 150 });
      const upgrade = (action = {}) =>
        system.call("POST", `${P}/operation/upgrade`, {
          metadata: { kind: "UpgradeTask", apiVersion: "v3" },
          spec: {
            clusterUpgradeAction: { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" }, ...action },
          },
        });
      await system.call("POST", FAULTS, { step: "precheck", target: "ClusterStatus", times: 1, error: "Unhealthy" });
      await finishedPrecheck((await createPrecheck()).body.metadata.uid);
      expect(expectCceError((await upgrade()).response, 400, "CCE.01400075").errorMessage).toMatch(/ended Failed/);

      const fresh = await finishedPrecheck((await createPrecheck()).body.metadata.uid);
      expect(fresh.status.phase).toBe("Success");
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(expectCceError((await upgrade()).response, 400, "CCE.01400075").errorMessage).toMatch(/expired/);
      expect((await upgrade({ isOnlyUpgrade: true })).status).toBe(200);
    });
  });

  describe("CreatePostCheck", () => {
    it("answers Failed with the reason before the upgrade and Success once the cluster runs the target", async () => {
      await start();
      const before = await system.call("POST", `${P}/operation/postcheck`, postcheckBody());
      expect(before.status).toBe(200);
      expect(keyPaths(before.body)).toEqual(
        [
          "apiVersion",
          "kind",
          "metadata.uid",
          "spec.clusterID",
          "spec.clusterVersion",
          "spec.targetVersion",
          "status.message",
          "status.phase",
        ].sort(),
      );
      expect(before.body.status).toMatchObject({
        phase: "Failed",
        message: expect.stringContaining("runs v1.28.15-r30"),
      });

      const taskId = await system.startUpgrade(CLUSTER, "v1.29");
      await system.waitForTask(CLUSTER, taskId, (task) => task.status.phase === "Success");
      const after = await system.call("POST", `${P}/operation/postcheck`, postcheckBody());
      expect(after.body).toMatchObject({
        kind: "PostCheckTask",
        status: { phase: "Success" },
        spec: { targetVersion: "v1.29.15-r50" },
      });
    });

    it("answers 400 naming spec for a bodyless post-check", async () => {
      await start();
      const { response } = await system.call("POST", `${P}/operation/postcheck`, {
        kind: "PostCheckTask",
        apiVersion: "v3",
      });
      expect(expectCceError(response, 400, "CCE.01400001").errorMessage).toMatch(/spec/);
    });
  });

  describe("CreateClusterMasterSnapshot / ListClusterMasterSnapshotTasks", () => {
    it("answers a top-level uid, lists the task by metadata.uid and moves it to Success", async () => {
      await start();
      const created = await system.app.inject({ method: "POST", url: SNAPSHOT, headers: { "x-auth-token": TOKEN } });
      expect(created.statusCode).toBe(200);
      const { uid } = created.json();
      expect(created.json()).toEqual({ uid, metadata: { apiVersion: "v3.1", kind: "SnapshotTask" } });
      const list = await pollUntil(
        async () => (await system.call("GET", `${SNAPSHOT}/tasks`)).body,
        (body) => body.items[0]?.status.phase === "Success",
      );
      expect(keyPaths(list)).toEqual(
        [
          "apiVersion",
          "kind",
          "metadata.creationTimestamp",
          "metadata.uid",
          "metadata.updateTimestamp",
          "items[].apiVersion",
          "items[].kind",
          "items[].metadata.creationTimestamp",
          "items[].metadata.uid",
          "items[].metadata.updateTimestamp",
          "items[].spec.items[].creationTimestamp",
          "items[].spec.items[].id",
          "items[].spec.items[].message",
          "items[].spec.items[].status",
          "items[].spec.items[].type",
          "items[].spec.items[].updateTimestamp",
          "items[].status.completionTime",
          "items[].status.phase",
          "items[].status.progress",
          "status.latestBackupTime",
        ].sort(),
      );
      expect(list.items[0].metadata.uid).toBe(uid);
      expect(list.items[0].spec.items[0]).toMatchObject({ type: "master-backup", status: "Success" });
      expect(list.status.latestBackupTime).toMatch(GO_TIME);
    });

    it("fails a backup a backup fault names, and refuses a second backup while one runs (429)", async () => {
      system = await testSystem("sqlite");
      await system.call("POST", FAULTS, { step: "backup", times: 1, error: "EvsSnapshotFailed" });
      const first = await system.call("POST", SNAPSHOT);
      expectCceError((await system.call("POST", SNAPSHOT)).response, 429, "CCE.01429002");
      runner = startCheckRunner(system.store);
      const list = await pollUntil(
        async () => (await system.call("GET", `${SNAPSHOT}/tasks`)).body,
        (body) => body.items[0]?.status.phase === "Failed",
      );
      expect(list.items[0].metadata.uid).toBe(first.body.uid);
      expect(list.items[0].spec.items[0].message).toMatch(/EvsSnapshotFailed/);
      expect(list.status).toEqual({});
    });
  });

  describe("ShowClusterUpgradeInfo, ListClusterUpgradePaths, ListClusterUpgradeFeatureGates, ShowJob", () => {
    it("derives the upgrade info from the catalogue and reflects the last upgrade's result", async () => {
      await start();
      const fresh = (await system.call("GET", `${P}/upgradeinfo`)).body;
      expect(fresh).toMatchObject({ kind: "UpgradeInfo", apiVersion: "v3", status: {}, metadata: { uid: CLUSTER } });
      expect(fresh.spec.versionInfo).toMatchObject({ release: "v1.28.15", patch: "r30", suggestPatch: "r90" });
      expect(fresh.spec.versionInfo.targetVersions).toEqual(
        expect.arrayContaining(["v1.28.15-r90", "v1.29.15-r50", "v1.30.14-r50"]),
      );
      const taskId = await system.startUpgrade(CLUSTER, "v1.29");
      await system.waitForTask(CLUSTER, taskId, (task) => task.status.phase === "Success");
      const after = (await system.call("GET", `${P}/upgradeinfo`)).body;
      expect(keyPaths(after)).toEqual(
        [
          "apiVersion",
          "kind",
          "metadata.annotations",
          "metadata.creationTimestamp",
          "metadata.labels",
          "metadata.name",
          "metadata.uid",
          "metadata.updateTimestamp",
          "spec.lastUpgradeInfo.completionTime",
          "spec.lastUpgradeInfo.phase",
          "spec.lastUpgradeInfo.progress",
          "spec.upgradeFeatureGates.supportUpgradePageV4",
          "spec.versionInfo.patch",
          "spec.versionInfo.release",
          "spec.versionInfo.suggestPatch",
          "spec.versionInfo.targetVersions[]",
          "status.completionTime",
          "status.phase",
          "status.progress",
        ].sort(),
      );
      expect(after.spec.lastUpgradeInfo).toMatchObject({ phase: "Success", progress: "100.00" });
      expect(after.spec.versionInfo).toMatchObject({ release: "v1.29.15", patch: "r50" });
    });

    it("lists upgrade paths and feature gates to any authenticated caller, 401 without a token", async () => {
      await start();
      const paths = (await system.call("GET", "/api/v3/clusterupgradepaths")).body;
      expect(paths).toMatchObject({ apiVersion: "v3", metadata: {} });
      expect(paths.upgradePaths).toContainEqual({
        version: "v1.28",
        platformVersion: "cce.10.0",
        targetVersions: expect.arrayContaining(["v1.29.15-r50"]),
      });
      expect(paths.upgradePaths).toContainEqual(
        expect.objectContaining({ version: "v1.19.16-r4", platformVersion: "cce.7.0" }),
      );
      const gates = (await system.call("GET", "/api/v3/clusterupgradefeaturegates")).body;
      expect(Object.keys(gates.upgradeFeatureGates).sort()).toEqual([
        "DisplayPreCheckDetail",
        "EvsSnapshot",
        "LabelForSkippedNode",
        "UpgradeStrategy",
      ]);
      for (const value of Object.values(gates.upgradeFeatureGates))
        expect(["Support", "Disable", "Default"]).toContain(value);
      for (const url of ["/api/v3/clusterupgradepaths", "/api/v3/clusterupgradefeaturegates"]) {
        expectCceError(await system.app.inject({ method: "GET", url }), 401, "APIGW.0301");
      }
    });

    it("answers ShowJob for an unknown job with 404 CCE.01404001", async () => {
      await start();
      expectCceError((await system.call("GET", `/api/v3/projects/${PROJECT}/jobs/abc`)).response, 404, "CCE.01404001");
    });
  });
});
