import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { HookDriverConfig } from "../../src/domain/driver-config.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, profileSeed } from "../support/fixtures.js";
import { type HookReceiver, startHookReceiver, webhookSecret } from "../support/hook-receiver.js";
import { testSystem } from "../support/system.js";

type System = Awaited<ReturnType<typeof testSystem>>;
const SCRIPT = new URL("./scripts/step-hook.sh", import.meta.url).pathname;

interface LoggedCall {
  phase: string;
  key: string;
  target: string;
  stdin: Record<string, unknown>;
}

/** A working directory for the test hook script: its call log, its scripted actions and what it has done. */
function hookDirectory() {
  const dir = mkdtempSync(join(tmpdir(), "cce-hook-"));
  return {
    dir,
    /** The next calls of a step kind do these, in order: ok, later (75), fail (1), hang, kill (SIGKILL). */
    script(kind: string, ...actions: string[]) {
      writeFileSync(join(dir, `actions-${kind}`), `${actions.join("\n")}\n`);
    },
    calls(): LoggedCall[] {
      let log = "";
      try {
        log = readFileSync(join(dir, "calls.log"), "utf8");
      } catch {
        return [];
      }
      return log
        .trim()
        .split("\n")
        .map((line) => {
          const [phase, key, target, stdin] = line.split("\t") as [string, string, string, string];
          return { phase, key, target, stdin: JSON.parse(stdin) };
        });
    },
    pid: (name: string) => Number(readFileSync(join(dir, name), "utf8")),
  };
}

/** Whether a process lives; a killed one may linger as a zombie until it is reaped. */
function isRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2] !== "Z";
  } catch {
    return false;
  }
}

describe.each(DIALECTS)("command hooks on %s", (dialect) => {
  let system: System;
  let receiver: HookReceiver | undefined;
  afterEach(async () => {
    await system?.close();
    await receiver?.close();
    receiver = undefined;
  });

  /** Starts the system with CLUSTER on a seed profile that runs the test script. */
  async function start(
    hooks: ReturnType<typeof hookDirectory>,
    timeoutSeconds = 5,
    extra: Partial<HookDriverConfig> = {},
  ) {
    const profile: HookDriverConfig = {
      default: { type: "exec", command: [SCRIPT, hooks.dir], timeoutSeconds },
      retries: 2,
      retryBackoffSeconds: 0.01,
      pollSeconds: 0.02,
      // The receiver some tests add for webhooks listens on loopback.
      allowPrivateNetwork: true,
      // Failure reasons show the script's stderr.
      exposeStderr: 2,
      ...extra,
    };
    system = await testSystem(dialect, { seed: profileSeed({ "step-hook": profile }, "step-hook") });
  }

  it("runs a whole upgrade through commands (request on stdin and in CCE_* variables), webhooks per kind", async () => {
    const hooks = hookDirectory();
    const secret = webhookSecret();
    receiver = await startHookReceiver({ secret });
    await start(hooks, 5, { secret, steps: { master: { type: "webhook", url: receiver.url } } });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");

    const calls = hooks.calls();
    expect(calls.map((c) => c.stdin.step)).toEqual([
      { kind: "precheck", name: "precheck", index: 0 },
      { kind: "backup", name: "etcd-backup", index: 1 },
      ...[3, 4, 4, 5, 5].map((index) => expect.objectContaining({ kind: "node", index })),
    ]);
    for (const call of calls) {
      expect(call.stdin).toMatchObject({ phase: call.phase, idempotencyKey: call.key, taskId, attempt: 1 });
      expect((call.stdin.target as { name: string }).name).toBe(call.target);
    }
    expect(receiver.callsOf("apply").map((r) => r.step.kind)).toEqual(["master"]);
    const nodes = await system.store.db
      .selectFrom("nodes")
      .select("version")
      .where("cluster_id", "=", CLUSTER)
      .execute();
    expect(nodes.map((n) => n.version)).toEqual(Array(5).fill("v1.29.15-r50"));
  });

  it("ends the task Failed at the first step when the hook command does not exist, naming the problem", async () => {
    const profile: HookDriverConfig = { default: { type: "exec", command: ["/nonexistent/cce-step.sh"] } };
    system = await testSystem(dialect, { seed: profileSeed({ "step-hook": profile }, "step-hook") });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    const failed = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect(failed.spec.items?.failureReason).toBe("precheck: HookCommandNotRunnable: the hook command cannot be run");
    expect(failed.spec.items?.failureReason).not.toContain("/nonexistent");
    const plan = await system.plan(CLUSTER, taskId);
    expect(plan.steps[0]).toMatchObject({ kind: "precheck", phase: "Failed" });
    expect(plan.steps[0].attempts).toBeLessThanOrEqual(3);
  });

  it("calls again after exit 75 with the same key, until exit 0", async () => {
    const hooks = hookDirectory();
    hooks.script("master", "later", "later");
    await start(hooks);
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    const master = hooks.calls().filter((c) => c.target === "control-plane");
    expect(master.map((c) => c.phase)).toEqual(["apply", "apply", "apply"]);
    expect(new Set(master.map((c) => c.key)).size).toBe(1);
  });

  it("fails on exit 1 with the end of stderr as the reason; retry succeeds under a new key", async () => {
    const hooks = hookDirectory();
    hooks.script("node", "fail");
    await start(hooks, 5, { exposeStderr: 2 });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29", { nodePoolOrder: { "pool-b": 5 } });
    const failed = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect(failed.spec.items?.failureReason).toBe(
      "nodes/batch-1: HookExit1: prod-a-b-1: draining prod-a-b-1; error: pod web-0 cannot be evicted",
    );
    expect((await system.control(CLUSTER, "retry")).status).toBe(200);
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    const node = hooks.calls().filter((c) => c.target === "prod-a-b-1");
    expect(node.map((c) => [c.phase, c.key])).toEqual([
      ["apply", `${taskId}:3:prod-a-b-1:1`],
      ["observe", `${taskId}:3:prod-a-b-1:2`],
      ["apply", `${taskId}:3:prod-a-b-1:2`],
    ]);
  });

  it("kills a command at its timeout, with the processes it started, and calls again", async () => {
    const hooks = hookDirectory();
    hooks.script("master", "hang");
    await start(hooks, 0.3);
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    await expect.poll(() => isRunning(hooks.pid("sleep.pid"))).toBe(false);
    const master = hooks.calls().filter((c) => c.target === "control-plane");
    expect(master).toHaveLength(2);
    expect(new Set(master.map((c) => c.key)).size).toBe(1);
  });

  it("calls again when the command is killed by a signal", async () => {
    const hooks = hookDirectory();
    hooks.script("backup", "kill");
    await start(hooks);
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    expect(hooks.calls().filter((c) => c.target === "etcd-backup")).toHaveLength(2);
  });

  it("a drain past its grace kills the command and hands the task back; the successor observes, then applies", async () => {
    const hooks = hookDirectory();
    hooks.script("master", "hang");
    await start(hooks);
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await expect.poll(() => hooks.calls().some((c) => c.target === "control-plane"), { timeout: 5_000 }).toBe(true);
    await expect.poll(() => hooks.calls().length > 0 && isRunning(hooks.pid("sleep.pid"))).toBe(true);
    await system.engine.stop(50);
    await expect.poll(() => isRunning(hooks.pid("sleep.pid"))).toBe(false);
    const row = await system.store.db
      .selectFrom("upgrade_tasks")
      .selectAll()
      .where("id", "=", taskId)
      .executeTakeFirst();
    expect(row).toMatchObject({ phase: "Running", lease_owner: null, failure_reason: null });

    const successor = system.newEngine();
    successor.start();
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    await successor.stop(0);
    const master = hooks.calls().filter((c) => c.target === "control-plane");
    expect(master.map((c) => c.phase)).toEqual(["apply", "observe", "apply"]);
    expect(new Set(master.map((c) => c.key)).size).toBe(1);
  });
});
