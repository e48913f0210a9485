import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFailingService, startService } from "./support/service-process.js";

const DEMO_PROJECT = "5f1c0e2b7a9d4c3e8b6a1f0d2c4e6a8b";
const DEMO_CLUSTER = "3f7a2c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b";
const DEMO_TOKEN = "demo-token-0123456789";
const headers = { "x-auth-token": DEMO_TOKEN, "content-type": "application/json" };

function tempDatabaseUrl(): string {
  return `sqlite:${join(mkdtempSync(join(tmpdir(), "cce-service-")), "nested", "cce.db")}`;
}

/** UpgradeCluster to v1.29 with the smallest body a user would send. */
function queueUpgrade(clusterUrl: string): Promise<Response> {
  return fetch(`${clusterUrl}/operation/upgrade`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      metadata: { apiVersion: "v3", kind: "UpgradeTask" },
      spec: { clusterUpgradeAction: { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } } },
    }),
  });
}

describe("the service process", () => {
  it("seeds the demo on an empty database, prints how to call it, and keeps acknowledged tasks across kill -9", async () => {
    const env = { DATABASE_URL: tempDatabaseUrl() };
    const first = await startService(env);
    expect(first.output()).toContain(`X-Auth-Token  ${DEMO_TOKEN}`);
    expect(first.output()).toContain(`curl -s -H 'X-Auth-Token: ${DEMO_TOKEN}'`);
    expect(await (await fetch(`${first.address}/healthz`)).json()).toEqual({ status: "ok", database: "sqlite" });

    const clusterUrl = `${first.address}/api/v3/projects/${DEMO_PROJECT}/clusters/${DEMO_CLUSTER}`;
    const created = await queueUpgrade(clusterUrl);
    expect(created.status).toBe(200);
    const { uid } = (await created.json()) as { uid: string };
    await first.stop("SIGKILL");

    const second = await startService(env);
    const base = second.address;
    const task = await fetch(
      `${base}/api/v3/projects/${DEMO_PROJECT}/clusters/${DEMO_CLUSTER}/operation/upgrade/tasks/${uid}`,
      { headers },
    );
    expect(task.status).toBe(200);
    expect(((await task.json()) as { metadata: { uid: string } }).metadata.uid).toBe(uid);
    const clusters = (await (await fetch(`${base}/api/v3/projects/${DEMO_PROJECT}/clusters`, { headers })).json()) as {
      items: unknown[];
    };
    expect(clusters.items).toHaveLength(3);
    expect(await second.stop("SIGTERM")).toBe(0);
  });

  it("stops, gracefully, when the user kills the pid of `npm start`", async () => {
    const service = await startService({ DATABASE_URL: "sqlite::memory:", LOG_LEVEL: "info" }, "npm start");
    expect((await fetch(`${service.address}/healthz`)).status).toBe(200);
    await service.stop("SIGTERM");
    await expect
      .poll(
        () =>
          fetch(`${service.address}/healthz`).then(
            () => "up",
            () => "down",
          ),
        { timeout: 15_000 },
      )
      .toBe("down");
    expect(service.output()).toContain('"msg":"shutting down"');
  });

  it("applies SEED_FILE instead of the demo", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cce-seed-"));
    const seedFile = join(dir, "seed.json");
    const project = "abcdefabcdefabcdefabcdefabcdef01";
    writeFileSync(
      seedFile,
      JSON.stringify({
        projects: [
          {
            id: project,
            name: "mine",
            tokens: ["my-own-token-1"],
            clusters: [{ id: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", name: "c1", version: "v1.30" }],
          },
        ],
      }),
    );
    const service = await startService({ DATABASE_URL: tempDatabaseUrl(), SEED_FILE: seedFile });
    expect(service.output()).not.toContain("Demo project");
    const list = await fetch(`${service.address}/api/v3/projects/${project}/clusters`, {
      headers: { "x-auth-token": "my-own-token-1" },
    });
    expect(
      ((await list.json()) as { items: { spec: { version: string } }[] }).items.map(
        (c: { spec: { version: string } }) => c.spec.version,
      ),
    ).toEqual(["v1.30.14-r50"]);
    expect(await service.stop("SIGTERM")).toBe(0);
  });

  it("runs the engine in a thread of its own with ENGINE_THREAD=worker: tasks finish, its metrics show, it stops", async () => {
    // A grace far beyond the test's timeout: the worker must end when its runs do, not when the grace would.
    const env = {
      DATABASE_URL: tempDatabaseUrl(),
      ENGINE_THREAD: "worker",
      SIM_SPEED: "50",
      SHUTDOWN_GRACE_MS: "600000",
    };
    const service = await startService(env);
    expect(await (await fetch(`${service.address}/readyz`)).json()).toMatchObject({ engine: "running" });
    const clusterUrl = `${service.address}/api/v3/projects/${DEMO_PROJECT}/clusters/${DEMO_CLUSTER}`;
    const created = await queueUpgrade(clusterUrl);
    const { uid } = (await created.json()) as { uid: string };
    const phase = async () =>
      (
        (await (await fetch(`${clusterUrl}/operation/upgrade/tasks/${uid}`, { headers })).json()) as {
          status: { phase: string };
        }
      ).status.phase;
    await expect.poll(phase, { timeout: 30_000, interval: 100 }).toBe("Success");
    // The steps ran in the worker; their durations reach the main thread's /metrics.
    const metrics = await (await fetch(`${service.address}/metrics`)).text();
    expect(metrics).toMatch(/^cce_engine_step_duration_seconds_count\{kind="master"\} 1$/m);
    expect(metrics).toMatch(/^cce_engine_step_duration_seconds_count\{kind="node"\} [1-9]/m);
    expect(await service.stop("SIGTERM")).toBe(0);
  });

  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ DATABASE_URL: "sqlite::memory:", ENGINE_THREAD: "worker" }, "ENGINE_THREAD"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ TIME_ZONE: "Mars/Olympus" }, "TIME_ZONE"],
    [{ SEED_FILE: "/nonexistent/seed.json" }, "/nonexistent/seed.json"],
  ])("refuses bad configuration %j with exit 1 and a message naming it, without a stack trace", async (env, named) => {
    const { code, output } = await runFailingService({ DATABASE_URL: tempDatabaseUrl(), ...env });
    expect(code).toBe(1);
    expect(output).toContain(named);
    expect(output).not.toMatch(/\n\s+at /);
  });
});
