import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/domain/clock.js";
import { applySeed, parseSeed, SeedFileError } from "../../src/store/seed-file.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, OTHER_CLUSTER, PROJECT, testSeed } from "../support/fixtures.js";
import { webhookSecret } from "../support/hook-receiver.js";
import { testSystem } from "../support/system.js";
import { expectCceError } from "../support/wire.js";

type System = Awaited<ReturnType<typeof testSystem>>;
const driverPath = (cluster: string) => `/ext/v1/projects/${PROJECT}/clusters/${cluster}/driver`;
const SECRET = webhookSecret();
const HOOKS = {
  type: "hook",
  default: { type: "exec", command: ["/opt/upgrade/step.sh"] },
  steps: { master: { type: "webhook", url: "https://hooks.example/cce", timeoutSeconds: 30 } },
  secret: SECRET,
  stepDeadlineSeconds: 1800,
};

async function storedConfig(system: System) {
  const row = await system.store.db
    .selectFrom("cluster_drivers")
    .select("config")
    .where("cluster_id", "=", CLUSTER)
    .executeTakeFirst();
  return row && JSON.parse(row.config);
}

describe.each(DIALECTS)("cluster driver API on %s", (dialect) => {
  let system: System;
  afterEach(async () => system?.close());

  it("shows the simulator by default, and 404 for a cluster of another project", async () => {
    system = await testSystem(dialect, { startEngine: false });
    expect(await system.call("GET", driverPath(CLUSTER))).toMatchObject({ status: 200, body: { type: "simulator" } });
    expectCceError((await system.call("GET", driverPath(OTHER_CLUSTER))).response, 404, "CCE.01404001");
    expectCceError((await system.call("PUT", driverPath(OTHER_CLUSTER), HOOKS)).response, 404, "CCE.01404001");
  });

  it("sets hooks; never shows the secret, and a PUT without one keeps it", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const { secret: _, ...shown } = HOOKS;
    const put = await system.call("PUT", driverPath(CLUSTER), HOOKS);
    expect(put).toMatchObject({ status: 200, body: { ...shown, secretSet: true } });
    const got = await system.call("GET", driverPath(CLUSTER));
    expect(got.body).toEqual({ ...shown, secretSet: true });
    expect(got.response.body).not.toContain(SECRET.slice(6));

    const { secretSet: __, ...roundTrip } = got.body;
    expect((await system.call("PUT", driverPath(CLUSTER), { ...roundTrip, stepDeadlineSeconds: 60 })).status).toBe(200);
    expect(await storedConfig(system)).toEqual({ ...HOOKS, stepDeadlineSeconds: 60 });
  });

  it("refuses webhooks without a secret and configs the schema does not allow", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const { secret: _, ...unsigned } = HOOKS;
    const refusals = [
      unsigned,
      { ...HOOKS, secret: "not-a-standard-webhooks-secret" },
      { ...HOOKS, default: { type: "exec", command: [] } },
      { ...HOOKS, steps: { etcd: HOOKS.default } },
      { type: "kubeadm" },
    ];
    for (const body of refusals) {
      expectCceError((await system.call("PUT", driverPath(CLUSTER), body)).response, 400, "CCE.01400001");
    }
    expect(await storedConfig(system)).toBeUndefined();
  });

  it("refuses to change the driver while the cluster has an active upgrade task", async () => {
    system = await testSystem(dialect, { startEngine: false });
    await system.startUpgrade(CLUSTER, "v1.29");
    const refused = await system.call("PUT", driverPath(CLUSTER), HOOKS);
    expectCceError(refused.response, 409, "CCE.01409004");
    expect((await system.call("GET", driverPath(CLUSTER))).body).toEqual({ type: "simulator" });
  });

  it("takes the driver from the seed file once; a restart keeps a driver set through the API", async () => {
    const seed = testSeed();
    const cluster = seed.projects[0]?.clusters?.[0];
    if (!cluster) throw new Error("test seed has no cluster");
    cluster.driver = HOOKS as typeof cluster.driver;
    system = await testSystem(dialect, { startEngine: false, seed: parseSeed(seed, "seed.json") });
    expect((await system.call("GET", driverPath(CLUSTER))).body).toMatchObject({ type: "hook", secretSet: true });

    expect((await system.call("PUT", driverPath(CLUSTER), { type: "simulator" })).status).toBe(200);
    await applySeed(system.store, seed, systemClock());
    expect((await system.call("GET", driverPath(CLUSTER))).body).toEqual({ type: "simulator" });
  });
});

describe("driver in the seed file", () => {
  it("names the cluster whose webhooks have no secret", () => {
    const seed = testSeed();
    const cluster = seed.projects[0]?.clusters?.[0];
    if (!cluster) throw new Error("test seed has no cluster");
    cluster.driver = { type: "hook", default: { type: "webhook", url: "http://127.0.0.1:9/hook" } };
    expect(() => parseSeed(seed, "s.json")).toThrow(SeedFileError);
    expect(() => parseSeed(seed, "s.json")).toThrow("s.json: /projects/0/clusters/0/driver needs a secret");
  });
});
