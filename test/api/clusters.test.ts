import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testApi } from "../support/api.js";
import { CLUSTER, PROJECT, TOKEN } from "../support/fixtures.js";
import { expectCceError, GO_TIME } from "../support/wire.js";

const auth = { "x-auth-token": TOKEN };
const CLUSTERS = `/api/v3/projects/${PROJECT}/clusters`;

describe("cluster API", () => {
  let api: Awaited<ReturnType<typeof testApi>>;
  beforeAll(async () => {
    api = await testApi();
  });
  afterAll(async () => api.close());

  it("ShowCluster answers the fields clients read around upgrades", async () => {
    const response = await api.app.inject({ url: `${CLUSTERS}/${CLUSTER}?detail=true`, headers: auth });
    expect(response.statusCode).toBe(200);
    const cluster = response.json();
    expect(cluster).toMatchObject({
      kind: "Cluster",
      apiVersion: "v3",
      metadata: { name: "prod-a", uid: CLUSTER },
      spec: { version: "v1.28.15-r30", platformVersion: "cce.10.0", type: "VirtualMachine", category: "CCE" },
      status: { phase: "Available" },
    });
    expect(cluster.metadata.creationTimestamp).toMatch(GO_TIME);
    expect(cluster.metadata.updateTimestamp).toMatch(GO_TIME);
  });

  it("ShowCluster answers 404 CCE.01404001 for an unknown cluster", async () => {
    expectCceError(await api.app.inject({ url: `${CLUSTERS}/nope`, headers: auth }), 404, "CCE.01404001");
  });

  it("ListClusters lists the project's clusters and honours the status, type and version filters", async () => {
    const names = async (query: string) =>
      (await api.app.inject({ url: `${CLUSTERS}${query}`, headers: auth }))
        .json()
        .items.map((c: { metadata: { name: string } }) => c.metadata.name);
    expect(await names("")).toEqual(["legacy", "prod-a"]);
    expect(await names("?version=v1.19.16-r4")).toEqual(["legacy"]);
    expect(await names("?status=Available&type=VirtualMachine")).toEqual(["legacy", "prod-a"]);
    expect(await names("?status=Upgrading")).toEqual([]);
    const list = (await api.app.inject({ url: CLUSTERS, headers: auth })).json();
    expect(list).toMatchObject({ kind: "Cluster", apiVersion: "v3" });
  });
});
