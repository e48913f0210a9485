import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";
import { type ServiceProcess, startService } from "../support/service-process.js";

const PROJECT = "5f1c0e2b7a9d4c3e8b6a1f0d2c4e6a8b";
const TOKEN = "demo-token-0123456789";
const PROD_A = "3f7a2c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b";
const EDGE = "c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6e7f";

describe("the cce-upgrade command line", () => {
  let service: ServiceProcess;
  let tokenEnv: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, tokenEnv);

  beforeAll(async () => {
    const database = join(mkdtempSync(join(tmpdir(), "cce-cli-")), "cce.db");
    service = await startService({ DATABASE_URL: `sqlite:${database}`, SIM_SPEED: "50" });
    tokenEnv = { CCE_ENDPOINT: service.address, CCE_PROJECT_ID: PROJECT, CCE_TOKEN: TOKEN };
  });
  afterAll(async () => {
    await service?.stop("SIGTERM");
  });

  it("lists clusters as JSON", async () => {
    const result = await cli("clusters", "list", "--output", "json");
    expect(result.code).toBe(0);
    const clusters = JSON.parse(result.stdout) as { metadata: { name: string } }[];
    expect(clusters.map((c) => c.metadata.name).sort()).toEqual(["edge", "legacy", "prod-a"]);
  });

  it("starts an upgrade and watches it to Success with exit 0", async () => {
    const result = await cli("upgrade", "start", "--cluster", "prod-a", "--to", "v1.29", "--batch", "2", "--watch");
    expect(result.stderr.trim().split("\n").at(-1)).toBe("Success 100.00%");
    expect(result.stdout).toMatch(/Success\s+100\.00%\s+v1\.28\.15-r30\s+v1\.29\.15-r50/);
    expect(result.code).toBe(0);
  });

  it("exits 1 with the reason when the watched upgrade fails, and a retry watched to the end exits 0", async () => {
    const faults = await fetch(`${service.address}/ext/v1/projects/${PROJECT}/clusters/${EDGE}/faults`, {
      method: "POST",
      headers: { "x-auth-token": TOKEN, "content-type": "application/json" },
      body: JSON.stringify({
        step: "node",
        times: 1,
        error: "PodEvictionFailure",
        message: "pod web-0 cannot be evicted",
      }),
    });
    expect(faults.status).toBe(201);

    const failed = await cli("upgrade", "start", "--cluster", EDGE, "--to", "v1.30", "--watch", "--output", "json");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("PodEvictionFailure");
    expect(failed.stderr).toContain("pod web-0 cannot be evicted");
    const task = JSON.parse(failed.stdout) as { metadata: { uid: string }; status: { phase: string } };
    expect(task.status.phase).toBe("Failed");

    const retried = await cli("retry", "--cluster", EDGE);
    expect(retried).toMatchObject({ code: 0, stdout: `retry accepted for cluster ${EDGE}\n` });
    const watched = await cli("tasks", "watch", "--cluster", EDGE, "--task", task.metadata.uid);
    expect(watched.stdout).toContain("Success");
    expect(watched.code).toBe(0);
  });

  it("prints the CCE error code and exits 2 without a stack trace", async () => {
    const badToken = await runCli(["tasks", "list", "--cluster", PROD_A], { ...tokenEnv, CCE_TOKEN: "wrong-token" });
    expect(badToken.code).toBe(2);
    expect(badToken.stderr).toMatch(/^cce-upgrade: APIGW\.0301: .+\n$/);
    expect(badToken.stderr).not.toMatch(/\n\s+at /);

    const unknownTask = await cli("tasks", "get", "--cluster", PROD_A, "--task", "no-such-task");
    expect(unknownTask.code).toBe(2);
    expect(unknownTask.stderr).toMatch(/^cce-upgrade: CCE\.01404001: /);
  });

  it("signs requests with AK/SK from the environment or a profile file", async () => {
    const keys = { ak: "DEMOAK0000000000001", sk: "demo-secret-key-0123456789" };
    const fromEnv = await runCli(["tasks", "list", "--cluster", "prod-a", "--output", "json"], {
      CCE_ENDPOINT: service.address,
      CCE_PROJECT_ID: PROJECT,
      CCE_AK: keys.ak,
      CCE_SK: keys.sk,
    });
    expect(fromEnv.code).toBe(0);
    expect((JSON.parse(fromEnv.stdout) as { status: { phase: string } }[])[0]?.status.phase).toBe("Success");

    const profile = join(mkdtempSync(join(tmpdir(), "cce-cli-profile-")), "profile.json");
    writeFileSync(profile, JSON.stringify({ endpoint: service.address, projectId: PROJECT, ...keys }));
    // A POST signs its body too.
    const precheck = await runCli(
      ["--profile", profile, "precheck", "--cluster", "legacy", "--to", "v1.21", "--watch"],
      {},
    );
    expect(precheck.stderr).not.toContain("APIGW");
    expect(precheck.stdout).toMatch(/Success|Failed/);
  });
});
