import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DIALECTS, freshDatabaseUrl } from "../support/databases.js";
import { PROJECT, TOKEN, upgradeBody } from "../support/fixtures.js";
import { gate, startHookReceiver, webhookSecret } from "../support/hook-receiver.js";
import { startService } from "../support/service-process.js";
import { manyClustersSeed } from "../support/system.js";

const headers = { "x-auth-token": TOKEN, "content-type": "application/json" };
const CLUSTER = "00000000-0000-4000-8000-000000000000";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function seedFile(url: string, secret: string): string {
  const seed = manyClustersSeed(1, 3);
  const project = seed.projects[0];
  const cluster = project?.clusters?.[0];
  if (!project || !cluster) throw new Error("seed has no cluster");
  seed.driverProfiles = {
    receiver: {
      default: { type: "webhook", url, timeoutSeconds: 5 },
      secret,
      pollSeconds: 0.05,
      allowPrivateNetwork: true,
    },
  };
  project.driverProfiles = ["receiver"];
  cluster.driver = "receiver";
  const path = join(mkdtempSync(join(tmpdir(), "cce-hook-crash-")), "seed.json");
  writeFileSync(path, JSON.stringify(seed));
  return path;
}

describe.each(DIALECTS)("hooks across a crash on %s", (dialect) => {
  it("a successor of a SIGKILLed server repeats the in-flight call's key; one operation per step", async () => {
    const secret = webhookSecret();
    const crashed = gate();
    const receiver = await startHookReceiver({
      secret,
      // The control-plane call the first server makes is still being worked on when that server dies.
      intercept: async ({ request }) => {
        if (request.step.kind === "master" && request.attempt === 1) await crashed.opened;
        return undefined;
      },
    });
    const env = {
      DATABASE_URL: freshDatabaseUrl(dialect),
      SEED_FILE: seedFile(receiver.url, secret),
      LEASE_TTL_MS: "800",
      ENGINE_POLL_MS: "50",
      // The receiver listens on loopback.
      HOOK_ALLOW_PRIVATE_NETWORKS: "true",
    };
    let service = await startService(env);
    try {
      const response = await fetch(
        `${service.address}/api/v3/projects/${PROJECT}/clusters/${CLUSTER}/operation/upgrade`,
        {
          method: "POST",
          headers,
          body: JSON.stringify(upgradeBody("v1.29")),
        },
      );
      const { uid } = (await response.json()) as { uid: string };
      for (const end = Date.now() + 10_000; Date.now() < end; await sleep(20)) {
        if (receiver.callsOf("apply", "master").length > 0) break;
      }
      expect(receiver.callsOf("apply", "master")).toHaveLength(1);
      await service.stop("SIGKILL");
      crashed.open();

      service = await startService(env);
      const taskUrl = `${service.address}/api/v3/projects/${PROJECT}/clusters/${CLUSTER}/operation/upgrade/tasks/${uid}`;
      let phase = "";
      for (const end = Date.now() + 20_000; Date.now() < end && phase !== "Success"; await sleep(50)) {
        phase = ((await (await fetch(taskUrl, { headers })).json()) as { status: { phase: string } }).status.phase;
      }
      expect(phase).toBe("Success");

      const master = receiver.calls.map((c) => c.request).filter((r) => r.step.kind === "master");
      expect(master.map((r) => [r.phase, r.attempt])).toEqual([
        ["apply", 1],
        ["observe", 2],
      ]);
      expect(new Set(master.map((r) => r.idempotencyKey)).size).toBe(1);
      expect(receiver.operationsPerTarget()).toEqual({
        "precheck/precheck": 1,
        "backup/etcd-backup": 1,
        "master/control-plane": 1,
        "node/c0-defaultpool-1": 1,
        "node/c0-defaultpool-2": 1,
        "node/c0-defaultpool-3": 1,
      });
      expect(receiver.rejections).toEqual([]);
      expect(await service.stop("SIGTERM")).toBe(0);
    } finally {
      await service.stop("SIGKILL");
      await receiver.close();
    }
  }, 60_000);
});
