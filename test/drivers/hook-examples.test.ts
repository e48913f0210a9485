import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLUSTER, PROJECT } from "../support/fixtures.js";
import { webhookSecret } from "../support/hook-receiver.js";
import { testSystem } from "../support/system.js";

const RECEIVER = new URL("../../examples/hooks/webhook-receiver.mjs", import.meta.url).pathname;
const SCRIPT = new URL("./scripts/step-hook.sh", import.meta.url).pathname;
const DRIVER = `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/driver`;

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
    system = await testSystem("sqlite");
    const config = {
      type: "hook",
      default: { type: "webhook", url: started.url },
      secret,
      pollSeconds: 0.05,
      allowPrivateNetwork: true,
    };
    expect((await system.call("PUT", DRIVER, config)).status).toBe(200);

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
