import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import closeWithGrace from "close-with-grace";
import { pino } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { buildServer } from "./api/server.js";
import { ConfigError, loadConfig, type ServiceConfig } from "./config.js";
import { systemClock } from "./domain/clock.js";
import { ClusterDriverRouter } from "./drivers/cluster-driver-router.js";
import { SIMULATED_STEP_MS, SimulatorDriver } from "./drivers/simulator.js";
import { CheckTaskRunner } from "./engine/check-runner.js";
import { prometheusEngineMetrics } from "./engine/engine-metrics.js";
import { UpgradeEngine } from "./engine/upgrade-engine.js";
import { checkTaskStore } from "./store/check-task-store.js";
import { DatabaseUrlError, openStore, type Store } from "./store/database.js";
import { hasProject, isEmpty, readDemoSeed } from "./store/demo-seed.js";
import { engineStore } from "./store/engine-store.js";
import { MigrationFailedError, migrateToLatest, SchemaTooNewError } from "./store/migrate.js";
import { applySeed, readSeedFile, type SeedFile, SeedFileError } from "./store/seed-file.js";

/** How long a successful pre-check lets UpgradeCluster go ahead (`expireTimeStamp`). */
const PRECHECK_VALIDITY_MS = 60 * 60 * 1000;

/** The only place that reads the environment, handles signals and sets the exit code. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel });
  const clock = systemClock();
  const store = await openConfiguredStore(config);
  await migrateToLatest(store);
  const demo = await applyStartupSeed(store, config, clock);
  const metricsRegistry = new Registry();
  collectDefaultMetrics({ register: metricsRegistry });

  const engine = new UpgradeEngine(
    engineStore(store),
    new ClusterDriverRouter(
      store,
      new SimulatorDriver(store, clock, { speed: config.simSpeed }),
      clock,
      logger.child({ component: "hooks" }),
    ),
    clock,
    {
      owner: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
      concurrency: config.engine.concurrency,
      projectShare: config.engine.projectShare,
      leaseTtlMs: config.engine.leaseTtlMs,
      pollIntervalMs: config.engine.pollIntervalMs,
      maxStepAttempts: 3,
      retryBackoffMs: 500,
      metrics: prometheusEngineMetrics(metricsRegistry),
    },
    logger.child({ component: "engine" }),
  );
  // Pre-checks and backups take the simulator's time for those steps.
  const checkRunner = new CheckTaskRunner(
    checkTaskStore(store),
    clock,
    {
      pollIntervalMs: config.engine.pollIntervalMs,
      precheckMs: SIMULATED_STEP_MS.precheck / config.simSpeed,
      snapshotMs: SIMULATED_STEP_MS.backup / config.simSpeed,
      precheckValidityMs: PRECHECK_VALIDITY_MS,
    },
    logger.child({ component: "check-runner" }),
  );
  const app = await buildServer(
    {
      store,
      clock,
      zone: config.timeZone,
      bodyLimitBytes: config.bodyLimitBytes,
      tokenTtlMs: config.tokenTtlMs,
      engineState: () => (config.engine.enabled ? engine.state : "disabled"),
      metricsRegistry,
      faultMaxStallSeconds: config.faultMaxStallSeconds,
    },
    { logger },
  );
  const address = await app.listen({ port: config.port, host: config.host });
  if (config.engine.enabled) engine.start();
  if (config.engine.enabled) checkRunner.start();
  // One write: whoever reads "listening" (a user, a test) has the demo's credentials with it.
  const banner = demo && (await hasProject(store.db, demo.projectId)) ? demoBanner(address, demo) : "";
  process.stdout.write(`cce-upgrade listening at ${address} (database: ${store.dialect})\n${banner}`);

  // Stop taking requests (503 while closing), let current steps finish and hand tasks back, then close the database.
  closeWithGrace({ delay: config.engine.shutdownGraceMs + 5_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, "shutting down after an error");
    else logger.info({ signal }, "shutting down");
    await Promise.all([app.close(), engine.stop(config.engine.shutdownGraceMs), checkRunner.stop()]);
    await store.close();
  });
}

async function openConfiguredStore(config: ServiceConfig): Promise<Store> {
  if (config.databaseUrl.startsWith("sqlite:") && config.databaseUrl !== "sqlite::memory:") {
    await mkdir(dirname(config.databaseUrl.slice("sqlite:".length)), { recursive: true });
  }
  return openStore(config.databaseUrl);
}

interface DemoCredentials {
  readonly projectId: string;
  readonly token: string;
  readonly ak: string;
  readonly sk: string;
  readonly user: { readonly name: string; readonly password: string } | undefined;
  readonly clusterId: string;
}

/** Applies SEED_FILE, or the demo seed on an empty database; returns the demo credentials when the demo applies. */
async function applyStartupSeed(
  store: Store,
  config: ServiceConfig,
  clock: ReturnType<typeof systemClock>,
): Promise<DemoCredentials | undefined> {
  if (config.seedFile) {
    await applySeed(store, await readSeedFile(config.seedFile), clock);
    return undefined;
  }
  const seed = await readDemoSeed();
  if (await isEmpty(store.db)) await applySeed(store, seed, clock);
  return demoCredentials(seed);
}

function demoCredentials(seed: SeedFile): DemoCredentials | undefined {
  const project = seed.projects[0];
  const key = project?.accessKeys?.[0];
  const token = project?.tokens?.[0];
  const cluster = project?.clusters?.[0];
  if (!project || !key || !token || !cluster) return undefined;
  return { projectId: project.id, token, ak: key.ak, sk: key.sk, user: project.users?.[0], clusterId: cluster.id };
}

function demoBanner(address: string, demo: DemoCredentials): string {
  const cluster = `${address}/api/v3/projects/${demo.projectId}/clusters/${demo.clusterId}`;
  return [
    "",
    "Demo project:",
    `  project id    ${demo.projectId}`,
    `  X-Auth-Token  ${demo.token}`,
    `  AK / SK       ${demo.ak} / ${demo.sk}`,
    ...(demo.user ? [`  IAM user      ${demo.user.name} / ${demo.user.password}  (POST /v3/auth/tokens)`] : []),
    `  Console       ${address}/console/`,
    "",
    "Try it:",
    `  curl -s -H 'X-Auth-Token: ${demo.token}' ${address}/api/v3/projects/${demo.projectId}/clusters`,
    `  curl -s -H 'X-Auth-Token: ${demo.token}' -H 'Content-Type: application/json' -X POST ${cluster}/operation/upgrade \\`,
    `    -d '{"metadata":{"apiVersion":"v3","kind":"UpgradeTask"},"spec":{"clusterUpgradeAction":{"targetVersion":"v1.29","strategy":{"type":"inPlaceRollingUpdate"}}}}'`,
    "",
  ].join("\n");
}

const EXPECTED_ERRORS = [ConfigError, DatabaseUrlError, SeedFileError, SchemaTooNewError, MigrationFailedError];

/** Configuration mistakes and system errors (a port in use, a missing file) are reported without a stack trace. */
function isExpected(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return EXPECTED_ERRORS.some((type) => error instanceof type) || (typeof code === "string" && /^E[A-Z]+$/.test(code));
}

main().catch((error: unknown) => {
  const expected = isExpected(error);
  process.stderr.write(
    `cce-upgrade: ${expected ? (error as Error).message : String((error as Error).stack ?? error)}\n`,
  );
  process.exit(1);
});
