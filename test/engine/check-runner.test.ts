import { afterEach, describe, expect, it } from "vitest";
import type { HookDriverConfig } from "../../src/domain/driver-config.js";
import type { CheckTaskRunner } from "../../src/engine/check-runner.js";
import { appliesPerTarget } from "../support/apply-log.js";
import { startCheckRunner } from "../support/check-runner.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, PROJECT, profileSeed } from "../support/fixtures.js";
import { type HookReceiver, startHookReceiver, webhookSecret } from "../support/hook-receiver.js";
import { testSystem } from "../support/system.js";

const CLUSTER_PATH = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
const SNAPSHOT = `/api/v3.1/projects/${PROJECT}/clusters/${CLUSTER}/operation/snapshot`;
const PRECHECK_BODY = { kind: "PreCheckTask", apiVersion: "v3", spec: { targetVersion: "v1.29" } };

describe.each(DIALECTS)("the check runner on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  let runner: CheckTaskRunner | undefined;
  let receiver: HookReceiver | undefined;
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await system?.close();
    await receiver?.close();
    receiver = undefined;
  });

  const backups = async () => (await system.call("GET", `${SNAPSHOT}/tasks`)).body.items;
  const precheck = async (uid: string) =>
    (await system.call("GET", `${CLUSTER_PATH}/operation/precheck/tasks/${uid}`)).body;

  it("finishes a backup whose runner stopped mid-way once its hold runs out, applying it once", async () => {
    system = await testSystem(dialect, { startEngine: false });
    await system.call("POST", SNAPSHOT);
    // At speed 0.01 the simulated backup takes 10 minutes: the first runner is stopped while it works.
    const first = startCheckRunner(system.store, { speed: 0.01, holdMs: 300 });
    await expect.poll(async () => (await backups())[0].status.phase, { timeout: 5_000 }).toBe("Running");
    await first.stop();
    const [task] = await backups();
    expect(await appliesPerTarget(system.store, "backup")).toEqual(new Map());

    runner = startCheckRunner(system.store, { holdMs: 300 });
    await expect.poll(async () => (await backups())[0].status.phase, { timeout: 5_000 }).toBe("Success");
    expect(await appliesPerTarget(system.store, "backup")).toEqual(
      new Map([[`${task.metadata.uid}/master-backup`, 1]]),
    );
  });

  it("does not take a backup again when its runner stopped after taking it, before reporting it", async () => {
    system = await testSystem(dialect, { startEngine: false });
    await system.call("POST", SNAPSHOT);
    // The first runner's driver takes the backup, then hangs until the runner stops.
    const first = startCheckRunner(system.store, {
      holdMs: 300,
      wrap: (simulator) => ({
        observe: (context, target) => simulator.observe(context, target),
        inspect: (context, target, request, signal) => simulator.inspect(context, target, request, signal),
        async apply(context, target, signal) {
          await simulator.apply(context, target, signal);
          return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
        },
      }),
    });
    await expect.poll(() => appliesPerTarget(system.store, "backup"), { timeout: 5_000 }).toHaveProperty("size", 1);
    await first.stop();
    expect((await backups())[0].status.phase).toBe("Running");

    runner = startCheckRunner(system.store, { holdMs: 300 });
    await expect.poll(async () => (await backups())[0].status.phase, { timeout: 5_000 }).toBe("Success");
    const [task] = await backups();
    expect(await appliesPerTarget(system.store, "backup")).toEqual(
      new Map([[`${task.metadata.uid}/master-backup`, 1]]),
    );
  });

  it("fails a backup with the injected backup fault, through the simulator", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const fault = { step: "backup", target: "master-backup", times: 1, error: "EtcdSnapshotFailed" };
    await system.call("POST", `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/faults`, fault);
    await system.call("POST", SNAPSHOT);
    runner = startCheckRunner(system.store);
    await expect.poll(async () => (await backups())[0].status.phase, { timeout: 5_000 }).toBe("Failed");
    expect((await backups())[0].spec.items[0].message).toBe("EtcdSnapshotFailed: injected fault: EtcdSnapshotFailed");
  });

  describe("on a hook-driven cluster", () => {
    async function hookCluster(answer?: { status: number; body: unknown }) {
      const secret = webhookSecret();
      receiver = await startHookReceiver({ secret, intercept: () => answer });
      const profile: HookDriverConfig = {
        default: { type: "webhook", url: receiver.url, timeoutSeconds: 5 },
        secret,
        allowPrivateNetwork: true,
        retries: 0,
      };
      system = await testSystem(dialect, { startEngine: false, seed: profileSeed({ kubeadm: profile }, "kubeadm") });
      runner = startCheckRunner(system.store);
      return receiver;
    }

    it("takes a backup by calling the hook's backup step once, with the task's idempotency key", async () => {
      const hooks = await hookCluster();
      await system.call("POST", SNAPSHOT);
      await expect.poll(async () => (await backups())[0].status.phase, { timeout: 5_000 }).toBe("Success");
      const [task] = await backups();
      const calls = hooks.callsOf("apply", "backup");
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({
        idempotencyKey: `${task.metadata.uid}:0:master-backup:1`,
        taskId: task.metadata.uid,
        cluster: { id: CLUSTER },
        step: { kind: "backup", name: "master-backup", index: 0 },
        target: { name: "master-backup" },
      });
      expect(hooks.calls).toHaveLength(1);
      expect(await appliesPerTarget(system.store, "backup")).toEqual(new Map());
    });

    it("reports the backup Failed, with the hook's reason, when the hook fails it", async () => {
      await hookCluster({ status: 200, body: { status: "Failure", reason: "etcd quorum lost" } });
      await system.call("POST", SNAPSHOT);
      await expect.poll(async () => (await backups())[0].status.phase, { timeout: 5_000 }).toBe("Failed");
      expect((await backups())[0].spec.items[0].message).toMatch(/etcd quorum lost/);
    });

    it("sends the pre-check to the hook as a precheck call, and passes it when the hook does", async () => {
      const hooks = await hookCluster();
      const created = await system.call("POST", `${CLUSTER_PATH}/operation/precheck`, PRECHECK_BODY);
      const uid = created.body.metadata.uid;
      await expect.poll(async () => (await precheck(uid)).status.phase, { timeout: 5_000 }).toBe("Success");
      const calls = hooks.callsOf("apply", "precheck");
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ taskId: uid, step: { kind: "precheck" }, toVersion: "v1.29.15-r50" });
    });

    it("ends the pre-check in Error with the hook's reason when the hook cannot answer", async () => {
      await hookCluster({ status: 200, body: { status: "Failure", reason: "kube-apiserver unreachable" } });
      const created = await system.call("POST", `${CLUSTER_PATH}/operation/precheck`, PRECHECK_BODY);
      const uid = created.body.metadata.uid;
      await expect.poll(async () => (await precheck(uid)).status.phase, { timeout: 5_000 }).toBe("Error");
      expect((await precheck(uid)).status.message).toMatch(/kube-apiserver unreachable/);
    });
  });
});
