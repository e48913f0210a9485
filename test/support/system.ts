import { randomBytes } from "node:crypto";
import type { Registry } from "prom-client";
import { expect } from "vitest";
import { buildServer } from "../../src/api/server.js";
import { systemClock } from "../../src/domain/clock.js";
import { UTC } from "../../src/domain/go-time.js";
import { ClusterDriverRouter } from "../../src/drivers/cluster-driver-router.js";
import { SimulatorDriver } from "../../src/drivers/simulator.js";
import type { HookNetwork } from "../../src/drivers/webhook-network.js";
import { ClusterJobRunner } from "../../src/engine/cluster-job-runner.js";
import { type EngineOptions, UpgradeEngine } from "../../src/engine/upgrade-engine.js";
import { driverChoices } from "../../src/store/cluster-driver-queries.js";
import { clusterJobStore } from "../../src/store/cluster-job-store.js";
import type { DialectName, StoreOptions } from "../../src/store/database.js";
import { engineStore } from "../../src/store/engine-store.js";
import { applySeed, type SeedFile } from "../../src/store/seed-file.js";
import { simulatedClusterStore } from "../../src/store/simulated-cluster-store.js";
import { freshStore } from "./databases.js";
import { PROJECT, TOKEN, testSeed, upgradeBody } from "./fixtures.js";

const silent = { info() {}, warn() {}, error() {} };

/** API, engine and simulator on one fresh database, with steps `speed` times faster than real. */
export async function testSystem(
  dialect: DialectName,
  options: {
    speed?: number;
    seed?: SeedFile;
    engine?: Partial<EngineOptions>;
    startEngine?: boolean;
    /** The operator's network settings for hooks; by default, as in production, no private networks. */
    hookNetwork?: HookNetwork;
    store?: StoreOptions;
    metricsRegistry?: Registry;
  } = {},
) {
  const store = await freshStore(dialect, options.store);
  const clock = systemClock();
  await applySeed(store, options.seed ?? testSeed(), clock);
  const app = await buildServer(
    {
      store,
      clock,
      zone: UTC,
      bodyLimitBytes: 1 << 20,
      tokenTtlMs: 3_600_000,
      ...(options.metricsRegistry && { metricsRegistry: options.metricsRegistry }),
    },
    { logger: false },
  );
  const newEngine = () =>
    new UpgradeEngine(
      engineStore(store),
      new ClusterDriverRouter(
        driverChoices(store),
        new SimulatorDriver(simulatedClusterStore(store, clock), clock, {
          speed: options.speed ?? 400,
          stallPollMs: 20,
        }),
        clock,
        silent,
        options.hookNetwork ?? { allowPrivateNetworks: false },
      ),
      clock,
      {
        owner: `test-${randomBytes(4).toString("hex")}`,
        concurrency: 8,
        projectShare: 0.5,
        leaseTtlMs: 5_000,
        pollIntervalMs: 20,
        maxStepAttempts: 3,
        retryBackoffMs: 5,
        ...options.engine,
      },
      silent,
    );
  const engine = newEngine();
  if (options.startEngine !== false) engine.start();
  const jobs = new ClusterJobRunner(
    clusterJobStore(store),
    clock,
    { pollIntervalMs: 20, speed: options.speed ?? 400 },
    silent,
  );
  if (options.startEngine !== false) jobs.start();

  const call = async (method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: unknown) => {
    const response = await app.inject({
      method,
      url,
      headers: { "x-auth-token": TOKEN },
      ...(payload !== undefined && { payload: payload as object }),
    });
    return { status: response.statusCode, body: response.body ? response.json() : undefined, response };
  };
  const clusterPath = (cluster: string) => `/api/v3/projects/${PROJECT}/clusters/${cluster}`;

  return {
    store,
    app,
    engine,
    jobs,
    newEngine,
    call,
    clusterPath,
    async startUpgrade(cluster: string, target: string, action: Record<string, unknown> = {}): Promise<string> {
      const { status, body } = await call(
        "POST",
        `${clusterPath(cluster)}/operation/upgrade`,
        upgradeBody(target, action),
      );
      expect(status).toBe(200);
      return body.uid;
    },
    task: async (cluster: string, taskId: string) =>
      (await call("GET", `${clusterPath(cluster)}/operation/upgrade/tasks/${taskId}`)).body,
    plan: async (cluster: string, taskId: string) =>
      (await call("GET", `/ext/v1/projects/${PROJECT}/clusters/${cluster}/upgrade/tasks/${taskId}/plan`)).body,
    control: async (cluster: string, control: "pause" | "continue" | "retry") =>
      call("POST", `${clusterPath(cluster)}/operation/upgrade/${control}`),
    /**
     * What any engine could take now, by the engine's own claim: an empty list proves no engine moves a task, without
     * waiting to see that none did. (A task it returns is claimed by a probe; the test is failing then anyway.)
     */
    async runnableTasks(): Promise<string[]> {
      const claimed = await engineStore(store).claimRunnableTasks("runnable-probe", clock.nowMicros(), 1, 100);
      return claimed.map((task) => task.id);
    },
    /** Polls the task over HTTP until `done` holds; fails with the last document after `timeoutMs`. */
    async waitForTask(cluster: string, taskId: string, done: (task: TaskDocument) => boolean, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let task: TaskDocument;
      do {
        task = (await call("GET", `${clusterPath(cluster)}/operation/upgrade/tasks/${taskId}`)).body;
        if (done(task)) return task;
        await new Promise((resolve) => setTimeout(resolve, 20));
      } while (Date.now() < deadline);
      throw new Error(`task did not get there in ${timeoutMs} ms: ${JSON.stringify(task)}`);
    },
    async close() {
      await Promise.all([engine.stop(0), jobs.stop()]);
      await app.close();
      await store.close();
    },
  };
}

export interface TaskDocument {
  metadata: { uid: string; creationTimestamp: string; updateTimestamp: string };
  spec: { version: string; targetVersion: string; items?: { failureReason?: string } };
  status: { phase: string; progress: string; completionTime: string };
}

/** A per-pool seed of `clusters` clusters with `nodes` nodes each, for load and crash tests. */
export function manyClustersSeed(clusters: number, nodes: number): SeedFile {
  const base = testSeed();
  const project = base.projects[0];
  if (!project) throw new Error("test seed has no project");
  return {
    projects: [
      {
        ...project,
        clusters: Array.from({ length: clusters }, (_, i) => ({
          id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
          name: `c${i}`,
          version: "v1.28.15-r30",
          nodePools: [{ id: "DefaultPool", name: "DefaultPool", nodeCount: nodes }],
          addons: [{ name: "coredns", version: "1.28.4" }],
        })),
      },
    ],
  };
}
