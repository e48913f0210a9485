import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/domain/clock.js";
import type { HookDriverConfig } from "../../src/domain/driver-config.js";
import { applySeed, parseSeed, SeedFileError } from "../../src/store/seed-file.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, OTHER_CLUSTER, PROJECT, profileSeed, testSeed } from "../support/fixtures.js";
import { webhookSecret } from "../support/hook-receiver.js";
import { testSystem } from "../support/system.js";
import { expectCceError } from "../support/wire.js";

type System = Awaited<ReturnType<typeof testSystem>>;
const driverPath = (cluster: string) => `/ext/v1/projects/${PROJECT}/clusters/${cluster}/driver`;
const HOOKS: HookDriverConfig = {
  default: { type: "exec", command: ["/opt/upgrade/step.sh"] },
  steps: { master: { type: "webhook", url: "https://hooks.example/cce", timeoutSeconds: 30 } },
  secret: webhookSecret(),
  stepDeadlineSeconds: 1800,
};
/** An exec profile that does nothing and succeeds: reads the request and exits 0. */
const NO_OP: HookDriverConfig = { default: { type: "exec", command: ["/bin/sh", "-c", "cat >/dev/null"] } };
const KUBEADM = { type: "profile", profile: "kubeadm" };
const KUBEADM_SHOWN = { ...KUBEADM, available: true, transports: { default: "exec", master: "webhook" } };

async function storedChoice(system: System) {
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
    system = await testSystem(dialect, { startEngine: false, seed: profileSeed({ kubeadm: HOOKS }) });
    expect(await system.call("GET", driverPath(CLUSTER))).toMatchObject({ status: 200, body: { type: "simulator" } });
    expectCceError((await system.call("GET", driverPath(OTHER_CLUSTER))).response, 404, "CCE.01404001");
    expectCceError((await system.call("PUT", driverPath(OTHER_CLUSTER), KUBEADM)).response, 404, "CCE.01404001");
  });

  it("chooses a profile of the project and back to the simulator; only the choice is stored", async () => {
    system = await testSystem(dialect, { startEngine: false, seed: profileSeed({ kubeadm: HOOKS }) });
    expect(await system.call("PUT", driverPath(CLUSTER), KUBEADM)).toMatchObject({ status: 200, body: KUBEADM_SHOWN });
    expect((await system.call("GET", driverPath(CLUSTER))).body).toEqual(KUBEADM_SHOWN);
    expect(await storedChoice(system)).toEqual(KUBEADM);

    expect((await system.call("PUT", driverPath(CLUSTER), { type: "simulator" })).body).toEqual({ type: "simulator" });
    expect(await storedChoice(system)).toEqual({ type: "simulator" });
  });

  it("refuses bodies that are not a choice", async () => {
    system = await testSystem(dialect, { startEngine: false, seed: profileSeed({ kubeadm: HOOKS }) });
    const refusals = [{ type: "hook", ...HOOKS }, { type: "kubeadm" }, { ...KUBEADM, profile: 7 }, {}, []];
    for (const body of refusals) {
      expectCceError((await system.call("PUT", driverPath(CLUSTER), body)).response, 400, "CCE.01400001");
    }
    expect(await storedChoice(system)).toBeUndefined();
  });

  it("refuses to change the driver while the cluster has an active upgrade task", async () => {
    system = await testSystem(dialect, { startEngine: false, seed: profileSeed({ kubeadm: HOOKS }) });
    await system.startUpgrade(CLUSTER, "v1.29");
    const refused = await system.call("PUT", driverPath(CLUSTER), KUBEADM);
    expectCceError(refused.response, 409, "CCE.01409004");
    expect((await system.call("GET", driverPath(CLUSTER))).body).toEqual({ type: "simulator" });
  });

  it("takes the driver from the seed file once; a restart keeps a driver chosen through the API", async () => {
    const seed = profileSeed({ kubeadm: HOOKS }, "kubeadm");
    system = await testSystem(dialect, { startEngine: false, seed });
    expect((await system.call("GET", driverPath(CLUSTER))).body).toEqual(KUBEADM_SHOWN);

    expect((await system.call("PUT", driverPath(CLUSTER), { type: "simulator" })).status).toBe(200);
    await applySeed(system.store, seed, systemClock());
    expect((await system.call("GET", driverPath(CLUSTER))).body).toEqual({ type: "simulator" });
  });

  it("a profile the seed no longer gives the project fails the upgrade, never the simulator; back, retry goes on", async () => {
    const seed = profileSeed({ kubeadm: NO_OP }, "kubeadm");
    system = await testSystem(dialect, { seed });
    // Restarts: the project loses the profile (it stays defined, another project could have it), then it is gone.
    const [project, ...others] = seed.projects;
    if (!project) throw new Error("test seed has no project");
    await applySeed(
      system.store,
      { ...seed, projects: [{ ...project, driverProfiles: [] }, ...others] },
      systemClock(),
    );
    expect((await system.call("GET", driverPath(CLUSTER))).body).toEqual({ ...KUBEADM, available: false });
    await applySeed(system.store, testSeed(), systemClock());
    expect(await system.store.db.selectFrom("driver_profiles").select("name").execute()).toEqual([]);
    expect((await system.call("GET", driverPath(CLUSTER))).body).toEqual({ ...KUBEADM, available: false });

    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    const failed = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect(failed.spec.items?.failureReason).toMatch(/^precheck: DriverProfileUnavailable: driver profile "kubeadm" /);
    const nodes = await system.store.db
      .selectFrom("nodes")
      .select("version")
      .where("cluster_id", "=", CLUSTER)
      .execute();
    expect(nodes.map((n) => n.version)).toEqual(Array(5).fill("v1.28.15-r30"));

    await applySeed(system.store, seed, systemClock());
    expect((await system.control(CLUSTER, "retry")).status).toBe(200);
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
  });
});

describe("driver profiles in the seed file", () => {
  const refused = (edit: (seed: ReturnType<typeof testSeed>) => void, message: string) => {
    const seed = testSeed();
    edit(seed);
    expect(() => parseSeed(seed, "s.json")).toThrow(SeedFileError);
    expect(() => parseSeed(seed, "s.json")).toThrow(message);
  };
  const project = (seed: ReturnType<typeof testSeed>) => seed.projects[0] ?? { driverProfiles: [], clusters: [] };

  it("names a profile whose webhooks have no secret", () => {
    refused((seed) => {
      seed.driverProfiles = { hooks: { default: { type: "webhook", url: "http://127.0.0.1:9/hook" } } };
    }, "s.json: /driverProfiles/hooks needs a secret");
  });

  it("names a project's profile that the file does not define", () => {
    refused((seed) => {
      seed.driverProfiles = { kubeadm: NO_OP };
      project(seed).driverProfiles = ["kubeadm", "ansible"];
    }, 's.json: /projects/0/driverProfiles/1 "ansible" is not a profile in /driverProfiles');
  });

  it("names a cluster's driver that is not among its project's profiles", () => {
    refused((seed) => {
      seed.driverProfiles = { kubeadm: NO_OP };
      const cluster = project(seed).clusters?.[1];
      if (cluster) cluster.driver = "kubeadm";
    }, 's.json: /projects/0/clusters/1/driver "kubeadm" is not one of /projects/0/driverProfiles');
  });

  it("refuses a cluster's inline driver object, as the seed once had it", () => {
    refused((seed) => {
      const cluster = project(seed).clusters?.[0] as Record<string, unknown> | undefined;
      if (cluster) cluster.driver = { type: "hook", ...NO_OP };
    }, "s.json: /projects/0/clusters/0/driver");
  });
});
