import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testApi } from "../support/api.js";
import {
  CLUSTER,
  OLD_CLUSTER,
  OTHER_CLUSTER,
  OTHER_PROJECT,
  PROJECT,
  TOKEN,
  upgradeBody,
} from "../support/fixtures.js";
import { expectCceError, GO_TIME, keyPaths } from "../support/wire.js";

const CLUSTER_PATH = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
const auth = { "x-auth-token": TOKEN };

/** The example response of the seed page (ShowUpgradeClusterTask), verbatim. */
const SEED_EXAMPLE = {
  kind: "UpgradeTask",
  apiVersion: "v3",
  metadata: {
    uid: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    creationTimestamp: "2022-12-16 13:40:20.75671 +0800 CST",
    updateTimestamp: "2022-12-16 13:40:20.756712 +0800 CST",
  },
  spec: { version: "v1.19.16-r4", targetVersion: "v1.23.5-r0" },
  status: { phase: "Init", progress: "0.00", completionTime: "2022-12-16 13:40:20.756712 +0800 CST" },
};

describe("upgrade task API", () => {
  let api: Awaited<ReturnType<typeof testApi>>;
  beforeEach(async () => {
    api = await testApi();
  });
  afterEach(async () => api.close());

  const startUpgrade = (target: string, action: Record<string, unknown> = {}, cluster = CLUSTER) =>
    api.app.inject({
      method: "POST",
      url: `/api/v3/projects/${PROJECT}/clusters/${cluster}/operation/upgrade`,
      headers: auth,
      payload: upgradeBody(target, action),
    });

  describe("UpgradeCluster", () => {
    it("answers with the task ID in both uid and metadata.uid, and echoes the resolved plan", async () => {
      const response = await startUpgrade("v1.29");
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.metadata.uid).toBe(body.uid);
      expect(body.spec.clusterUpgradeAction).toEqual({
        version: "v1.28.15-r30",
        targetVersion: "v1.29.15-r50",
        targetPlatformVersion: "cce.12.0",
        strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 20, scope: "Cluster" } },
      });
    });

    it("accepts the terraform docs' lenient spellings and a Go SDK zero userDefinedStep", async () => {
      const response = await startUpgrade("v1.29.13-r10", {
        strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 0 } },
        nodePoolOrder: { DefaultPool: 1, "pool-b": 2 },
        nodeOrder: { DefaultPool: [{ nodeSelector: { key: "name", value: ["n-1"], operator: "=" }, priority: 1 }] },
        addons: [{ addonTemplateName: "autoscaler", operation: "batch", version: "1.29.17", values: { basic: {} } }],
        isOnlyUpgrade: true,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().spec.clusterUpgradeAction.targetVersion).toBe("v1.29.13-r10");
    });

    it("refuses a second active upgrade of the same cluster with CCE.01429002", async () => {
      expect((await startUpgrade("v1.29")).statusCode).toBe(200);
      expectCceError(await startUpgrade("v1.29"), 429, "CCE.01429002");
    });

    it.each([
      ["an unknown version", "v1.99"],
      ["the current version", "v1.28.15-r30"],
      ["a lower version", "v1.25"],
      ["a version beyond the upgrade paths", "v1.32"],
    ])("refuses %s with CCE.01400015 naming targetVersion", async (_, target) => {
      const body = expectCceError(await startUpgrade(target), 400, "CCE.01400015");
      expect(body.errorMessage).toContain("targetVersion");
    });

    it.each([
      ["metadata.kind", { ...upgradeBody("v1.29"), metadata: { kind: "Upgrade", apiVersion: "v3" } }],
      ["spec.clusterUpgradeAction", { metadata: { kind: "UpgradeTask", apiVersion: "v3" }, spec: {} }],
      ["spec.clusterUpgradeAction.targetVersion", upgradeBody(42 as unknown as string)],
      ["spec.clusterUpgradeAction.strategy.type", upgradeBody("v1.29", { strategy: { type: "blueGreen" } })],
      [
        "spec.clusterUpgradeAction.strategy.inPlaceRollingUpdate.userDefinedStep",
        upgradeBody("v1.29", {
          strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: "5" } },
        }),
      ],
      [
        "spec.clusterUpgradeAction.strategy.inPlaceRollingUpdate.scope",
        upgradeBody("v1.29", { strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { scope: "World" } } }),
      ],
      [
        "spec.clusterUpgradeAction.addons[0].addonTemplateName",
        upgradeBody("v1.29", { addons: [{ addonTemplateName: "gpu", operation: "patch", version: "1" }] }),
      ],
      ["spec.clusterUpgradeAction.nodePoolOrder", upgradeBody("v1.29", { nodePoolOrder: { nowhere: 1 } })],
      ["spec.clusterUpgradeAction.isOnlyUpgrade", upgradeBody("v1.29", { isOnlyUpgrade: "yes" })],
    ])("answers 400 CCE.01400001 naming %s", async (field, payload) => {
      const response = await api.app.inject({
        method: "POST",
        url: `${CLUSTER_PATH}/operation/upgrade`,
        headers: auth,
        payload,
      });
      const body = expectCceError(response, 400, "CCE.01400001");
      expect(body.errorMessage).toContain(field);
      expect((await api.store.db.selectFrom("upgrade_tasks").select("id").execute()).length).toBe(0);
    });

    it("answers 400 for malformed JSON, an empty body and invalid UTF-8", async () => {
      for (const payload of ['{"metadata":', "", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])]) {
        const response = await api.app.inject({
          method: "POST",
          url: `${CLUSTER_PATH}/operation/upgrade`,
          headers: { ...auth, "content-type": "application/json" },
          payload,
        });
        expectCceError(response, 400, "CCE.01400001");
      }
    });

    it("answers 400 CCE.01400006 for a body that is not JSON", async () => {
      const response = await api.app.inject({
        method: "POST",
        url: `${CLUSTER_PATH}/operation/upgrade`,
        headers: { ...auth, "content-type": "text/plain" },
        payload: "upgrade please",
      });
      expectCceError(response, 400, "CCE.01400006");
    });

    it("answers 413 for a body over the limit", async () => {
      const huge = upgradeBody("v1.29", { agencyName: "x".repeat(100_000) });
      const response = await api.app.inject({
        method: "POST",
        url: `${CLUSTER_PATH}/operation/upgrade`,
        headers: auth,
        payload: huge,
      });
      expectCceError(response, 413, "APIGW.0201");
    });

    it("answers 404 CCE.01404001 for an unknown cluster", async () => {
      expectCceError(await startUpgrade("v1.29", {}, "99999999-9999-4999-8999-999999999999"), 404, "CCE.01404001");
    });
  });

  describe("ShowUpgradeClusterTask", () => {
    it("reproduces the seed page's example field for field", async () => {
      const uid = (await startUpgrade("v1.23.5-r0", {}, OLD_CLUSTER)).json().uid;
      const response = await api.app.inject({
        url: `/api/v3/projects/${PROJECT}/clusters/${OLD_CLUSTER}/operation/upgrade/tasks/${uid}`,
        headers: auth,
      });
      expect(response.statusCode).toBe(200);
      const task = response.json();
      expect(keyPaths(task)).toEqual(keyPaths(SEED_EXAMPLE));
      expect(task).toMatchObject({
        kind: "UpgradeTask",
        apiVersion: "v3",
        metadata: { uid },
        spec: { version: "v1.19.16-r4", targetVersion: "v1.23.5-r0" },
        status: { phase: "Init", progress: "0.00" },
      });
      for (const time of [task.metadata.creationTimestamp, task.metadata.updateTimestamp, task.status.completionTime]) {
        expect(time).toMatch(GO_TIME);
      }
      expect(task.metadata.creationTimestamp).toBe("2026-11-29 12:00:00 +0000 UTC");
      expect(SEED_EXAMPLE.metadata.creationTimestamp).toMatch(GO_TIME);
    });

    it("prints timestamps in the configured zone", async () => {
      await api.close();
      api = await testApi("sqlite", { zone: { offsetMinutes: 480, abbreviation: "CST" } });
      const uid = (await startUpgrade("v1.29")).json().uid;
      const task = (
        await api.app.inject({ url: `${CLUSTER_PATH}/operation/upgrade/tasks/${uid}`, headers: auth })
      ).json();
      expect(task.metadata.creationTimestamp).toBe("2026-11-29 20:00:00 +0800 CST");
    });

    it("answers 404 CCE.01404001 for an unknown task, or a task of another cluster", async () => {
      const uid = (await startUpgrade("v1.29")).json().uid;
      for (const url of [
        `${CLUSTER_PATH}/operation/upgrade/tasks/00000000-0000-4000-8000-000000000000`,
        `/api/v3/projects/${PROJECT}/clusters/${OLD_CLUSTER}/operation/upgrade/tasks/${uid}`,
      ]) {
        expectCceError(await api.app.inject({ url, headers: auth }), 404, "CCE.01404001");
      }
    });
  });

  describe("ListUpgradeClusterTasks", () => {
    it("lists the cluster's tasks as a List of UpgradeTask documents", async () => {
      const empty = await api.app.inject({ url: `${CLUSTER_PATH}/operation/upgrade/tasks`, headers: auth });
      expect(empty.json()).toEqual({ kind: "List", apiVersion: "v3", metadata: {}, items: [] });
      const uid = (await startUpgrade("v1.29")).json().uid;
      const list = (await api.app.inject({ url: `${CLUSTER_PATH}/operation/upgrade/tasks`, headers: auth })).json();
      expect(list.items).toHaveLength(1);
      expect(keyPaths(list.items[0])).toEqual(keyPaths(SEED_EXAMPLE));
      expect(list.items[0].metadata.uid).toBe(uid);
    });
  });

  describe("authentication and tenancy", () => {
    const routes = [
      { method: "GET", url: `/api/v3/projects/${PROJECT}/clusters` },
      { method: "GET", url: CLUSTER_PATH },
      { method: "POST", url: `${CLUSTER_PATH}/operation/upgrade` },
      { method: "GET", url: `${CLUSTER_PATH}/operation/upgrade/tasks` },
      { method: "GET", url: `${CLUSTER_PATH}/operation/upgrade/tasks/00000000-0000-4000-8000-000000000000` },
    ] as const;

    it.each(routes)("$method $url needs a token: 401 APIGW.0301 without or with an unknown one", async (route) => {
      for (const headers of [{}, { "x-auth-token": "not-a-token" }]) {
        const response = await api.app.inject({ ...route, headers, payload: upgradeBody("v1.29") });
        expectCceError(response, 401, "APIGW.0301");
      }
    });

    it.each(routes)(
      "$method $url refuses another project's token with 403, whether or not it exists",
      async (route) => {
        const other = { "x-auth-token": "test-token-project-two" };
        const a = await api.app.inject({ ...route, headers: other, payload: upgradeBody("v1.29") });
        const b = await api.app.inject({
          ...route,
          url: route.url.replace(PROJECT, OTHER_PROJECT).replace(CLUSTER, OTHER_CLUSTER),
          headers: auth,
          payload: upgradeBody("v1.29"),
        });
        const missing = await api.app.inject({
          ...route,
          url: route.url.replace(PROJECT, "99999999999999999999999999999999"),
          headers: auth,
          payload: upgradeBody("v1.29"),
        });
        for (const response of [a, b, missing]) expectCceError(response, 403, "APIGW.0302");
        expect(b.json().errorMessage.replace(OTHER_PROJECT, "")).toBe(missing.json().errorMessage.replace(/9{32}/, ""));
      },
    );
  });

  describe("everything else", () => {
    it("answers unknown routes and methods with the APIGW 404 form", async () => {
      expectCceError(await api.app.inject({ url: "/api/v3/nope", headers: auth }), 404, "APIGW.0101");
      expectCceError(await api.app.inject({ method: "PATCH", url: CLUSTER_PATH, headers: auth }), 404, "APIGW.0101");
    });

    it("answers a malformed URL with 400", async () => {
      expectCceError(await api.app.inject({ url: `${CLUSTER_PATH}/%zz`, headers: auth }), 400, "CCE.01400001");
    });

    it("sets X-Request-Id on successes too, unique per request", async () => {
      const a = await api.app.inject({ url: CLUSTER_PATH, headers: auth });
      const b = await api.app.inject({ url: CLUSTER_PATH, headers: auth });
      expect(a.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
      expect(a.headers["x-request-id"]).not.toBe(b.headers["x-request-id"]);
    });

    it("reports health and publishes an OpenAPI 3.1 document of the CCE routes", async () => {
      expect((await api.app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok", database: "sqlite" });
      const doc = (await api.app.inject({ url: "/openapi.json" })).json();
      expect(doc.openapi).toBe("3.1.0");
      expect(Object.keys(doc.paths)).toContain("/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade");
      const operationIds = Object.values(doc.paths).flatMap((p) =>
        Object.values(p as object).map((o) => o.operationId),
      );
      expect(operationIds).toEqual(
        expect.arrayContaining(["UpgradeCluster", "ShowUpgradeClusterTask", "ListUpgradeClusterTasks", "ShowCluster"]),
      );
    });
  });
});
