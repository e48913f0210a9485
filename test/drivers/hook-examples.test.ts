import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLUSTER, profileSeed } from "../support/fixtures.js";
import { webhookSecret } from "../support/hook-receiver.js";
import { testSystem } from "../support/system.js";

const RECEIVER = new URL("../../examples/hooks/webhook-receiver.mjs", import.meta.url).pathname;
const SCRIPT = new URL("./scripts/step-hook.sh", import.meta.url).pathname;

/** Starts the example receiver as a user would, running the test step script; resolves with its URL. */
async function startExampleReceiver(secret: string, dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [RECEIVER], {
    env: { ...process.env, WEBHOOK_SECRET: secret, PORT: "0", STEP_COMMAND: `${SCRIPT} ${dir}`, POLL_SECONDS: "0.05" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      const match = /listening at (http:\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`the example receiver exited with ${code}: ${output}`)));
  });
  return { child, url };
}

describe("the example webhook receiver", () => {
  let system: Awaited<ReturnType<typeof testSystem>>;
  let receiver: ChildProcess | undefined;
  afterEach(async () => {
    receiver?.kill();
    await system?.close();
  });

  it("upgrades a cluster through its step command: InProgress while it runs, a failure's stderr, a retry", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cce-example-"));
    writeFileSync(join(dir, "actions-node"), "fail\n");
    const secret = webhookSecret();
    const started = await startExampleReceiver(secret, dir);
    receiver = started.child;
    const profile = {
      default: { type: "webhook", url: started.url },
      secret,
      pollSeconds: 0.05,
      allowPrivateNetwork: true,
    } as const;
    system = await testSystem("sqlite", { seed: profileSeed({ example: profile }, "example") });

    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    const failed = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect(failed.spec.items?.failureReason).toMatch(
      /^nodes\/batch-1: StepCommandFailed: .*pod web-0 cannot be evicted$/,
    );
    expect((await system.control(CLUSTER, "retry")).status).toBe(200);
    await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");

    const applies = readFileSync(join(dir, "calls.log"), "utf8")
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("apply"))
      .map((line) => line.split("\t")[2]);
    // Eight targets (five nodes), each run once, plus the failed node's second run after the retry.
    expect(applies).toHaveLength(9);
    expect(new Set(applies).size).toBe(8);
  });
});

/** A port nobody listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the README's hook walk-through", () => {
  let group: number | undefined;
  afterEach(() => {
    if (group !== undefined) process.kill(-group, "SIGTERM");
    group = undefined;
  });

  it("runs as written, with the dry-run step, to an upgrade that succeeds", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("To try the contract end to end"));
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toContain("webhook-receiver.mjs");
    const [hooks, api] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), "cce-walkthrough-"));
    const script = (block as string)
      .replaceAll("127.0.0.1:9000", `127.0.0.1:${hooks}`)
      .replaceAll("PORT=9000", `PORT=${hooks}`)
      .replaceAll("8090", String(api))
      .replaceAll("/tmp/", `${dir}/`);
    const shell = spawn("bash", ["-euc", script], {
      cwd: new URL("../..", import.meta.url).pathname,
      env: { ...process.env, DRY_RUN_DIR: join(dir, "dry-run"), LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    group = shell.pid;
    let output = "";
    shell.stdout?.on("data", (chunk) => (output += chunk));
    shell.stderr?.on("data", (chunk) => (output += chunk));
    const tasks = `http://127.0.0.1:${api}/api/v3/projects/5f1c0e2b7a9d4c3e8b6a1f0d2c4e6a8b/clusters/3f7a2c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b/operation/upgrade/tasks`;
    const phase = async () => {
      const answer = await fetch(tasks, { headers: { "x-auth-token": "demo-token-0123456789" } }).catch(() => null);
      const body = (await answer?.json()) as { items?: { status: { phase: string } }[] } | undefined;
      return body?.items?.[0]?.status.phase ?? "none";
    };
    await expect.poll(phase, { timeout: 100_000, interval: 500 }).toBe("Success");
    for (const target of ["precheck", "etcd-backup", "control-plane", "prod-a-defaultpool-1", "prod-a-defaultpool-3"]) {
      expect(output).toMatch(new RegExp(`apply \\S+:\\d+:${target}:1 → Success`));
    }
    // The dry run remembered each step it ran, once.
    expect(readdirSync(join(dir, "dry-run"))).toHaveLength(6);
  }, 120_000);
});
