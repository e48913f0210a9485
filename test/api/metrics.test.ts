import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testApi } from "../support/api.js";
import { CLUSTER, PROJECT, TOKEN } from "../support/fixtures.js";

const UPGRADE = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}/operation/upgrade`;

describe("operations endpoints", () => {
  let api: Awaited<ReturnType<typeof testApi>>;
  beforeAll(async () => {
    api = await testApi("sqlite", { metricsRegistry: new Registry() });
  });
  afterAll(async () => api.close());

  const scrape = async () => {
    const response = await api.app.inject({ url: "/metrics" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("text/plain");
    return response.body;
  };

  it("times requests by method, route template and status code", async () => {
    const show = await api.app.inject({ url: `${UPGRADE}/tasks/no-such-task`, headers: { "x-auth-token": TOKEN } });
    expect(show.statusCode).toBe(404);
    const route = "/api/v3/projects/:project_id/clusters/:cluster_id/operation/upgrade/tasks/:task_id";
    expect(await scrape()).toContain(
      `http_request_duration_seconds_count{method="GET",route="${route}",status_code="404"} 1`,
    );
  });

  it("counts upgrade tasks by phase from the database", async () => {
    expect(await scrape()).toMatch(/^cce_upgrade_tasks\{phase="Init"\} 0$/m);
    const created = await api.app.inject({
      method: "POST",
      url: UPGRADE,
      headers: { "x-auth-token": TOKEN, "content-type": "application/json" },
      payload: {
        metadata: { apiVersion: "v3", kind: "UpgradeTask" },
        spec: { clusterUpgradeAction: { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } } },
      },
    });
    expect(created.statusCode).toBe(200);
    expect(await scrape()).toMatch(/^cce_upgrade_tasks\{phase="Init"\} 1$/m);
  });

  it("serves the OpenAPI document as an HTML page at /docs, without credentials", async () => {
    const docs = await api.app.inject({ url: "/docs" });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers["content-type"]).toContain("text/html");
    expect(docs.body).toContain("<html");
  });
});
