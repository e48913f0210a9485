import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testApi } from "../support/api.js";
import { CLUSTER, OTHER_CLUSTER, OTHER_TOKEN, PROJECT, TOKEN } from "../support/fixtures.js";
import { expectCceError } from "../support/wire.js";

const nodesOf = (cluster: string) => `/ext/v1/projects/${PROJECT}/clusters/${cluster}/nodes`;

describe("cluster nodes extension", () => {
  let api: Awaited<ReturnType<typeof testApi>>;
  beforeAll(async () => {
    api = await testApi();
  });
  afterAll(async () => api.close());

  it("lists the pools with their node counts and every node with its pool, version and status", async () => {
    const response = await api.app.inject({ url: nodesOf(CLUSTER), headers: { "x-auth-token": TOKEN } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.pools).toEqual([
      { id: "DefaultPool", name: "DefaultPool", nodeCount: 3 },
      { id: "pool-b", name: "b", nodeCount: 2 },
    ]);
    expect(body.items).toHaveLength(5);
    expect(body.items[0]).toMatchObject({ pool: "DefaultPool", version: "v1.28.15-r30", status: "Active" });
  });

  it("needs a credential of the project and a cluster of it", async () => {
    expect((await api.app.inject({ url: nodesOf(CLUSTER) })).statusCode).toBe(401);
    const foreign = await api.app.inject({ url: nodesOf(CLUSTER), headers: { "x-auth-token": OTHER_TOKEN } });
    expect(foreign.statusCode).toBe(403);
    const missing = await api.app.inject({ url: nodesOf(OTHER_CLUSTER), headers: { "x-auth-token": TOKEN } });
    expectCceError(missing, 404, "CCE.01404001");
  });
});
