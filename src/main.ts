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
import { redactUrlPasswords } from "./domain/url-passwords.js";
import { ClusterDriverRouter } from "./drivers/cluster-driver-router.js";
import { SimulatorDriver } from "./drivers/simulator.js";
import { CheckTaskRunner } from "./engine/check-runner.js";
import { prometheusEngineMetrics } from "./engine/engine-metrics.js";
import { UpgradeEngine } from "./engine/upgrade-engine.js";
import { checkTaskStore } from "./store/check-task-store.js";
import { DatabaseUrlError, displayDatabaseUrl, openStore, type Store } from "./store/database.js";
import { hasProject, isEmpty, readDemoSeed } from "./store/demo-seed.js";
import { engineStore } from "./store/engine-store.js";
import { migrateToLatest } from "./store/migrate.js";
import { applyDriverProfiles, applySeed, readSeedFile, type SeedFile, SeedFileError } from "./store/seed-file.js";
import { simulatedClusterStore } from "./store/simulated-cluster-store.js";

/** How long a successful pre-check lets UpgradeCluster go ahead (`expireTimeStamp`). */
const PRECHECK_VALIDITY_MS = 60 * 60 * 1000;

/** The only place that reads the environment, handles signals and sets the exit code. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel });
  const clock = systemClock();
  const database = displayDatabaseUrl(config.databaseUrl);
  const store = await startupStep(`cannot open the database ${database}`, () => openConfiguredStore(config));
  await startupStep(`cannot migrate the database ${database}`, () => migrateToLatest(store));
  const demo = await startupStep(`cannot apply the seed ${config.seedFile ?? "(demo)"}`, () =>
    applyStartupSeed(store, config, clock),
  );
  const metricsRegistry = new Registry();
  collectDefaultMetrics({ register: metricsRegistry });

  const drivers = new ClusterDriverRouter(
    store,
    new SimulatorDriver(simulatedClusterStore(store, clock), clock, { speed: config.simSpeed }),
    clock,
    logger.child({ component: "hooks" }),
    { allowPrivateNetworks: config.allowHookPrivateNetworks },
  );
  const engine = new UpgradeEngine(
    engineStore(store),
    drivers,
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
  const checkRunner = new CheckTaskRunner(
    checkTaskStore(store),
    drivers,
    clock,
    {
      pollIntervalMs: config.engine.pollIntervalMs,
      holdMs: config.engine.leaseTtlMs,
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
    await applySeed(store, await readSeedFile(config.seedFile), clock, config.seedFile);
    return undefined;
  }
  const seed = await readDemoSeed();
  if (await isEmpty(store.db)) await applySeed(store, seed, clock, "demo seed");
  // Profiles follow the seed in force, even on a database an earlier SEED_FILE filled: the demo's has none.
  else await applyDriverProfiles(store, seed);
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

/** Errors whose message already says what is wrong and where. */
const SELF_EXPLAINED = [ConfigError, DatabaseUrlError, SeedFileError];

class StartupError extends Error {}

/** Runs one step of the start; a failure is reported as `<problem>: <what went wrong>`. */
async function startupStep<T>(problem: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (SELF_EXPLAINED.some((type) => error instanceof type)) throw error;
    throw new StartupError(`${problem}: ${describeError(error)}`, { cause: error });
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  // Node reports a refused connection to every address of a host as an AggregateError without a message.
  if (error instanceof AggregateError) return error.errors.map(describeError).join("; ");
  return (error as NodeJS.ErrnoException).code ?? error.name;
}

/** A start-up failure is one line with no stack trace and no URL password; LOG_LEVEL=debug or trace adds the stack. */
main().catch((error: unknown) => {
  process.stderr.write(`cce-upgrade: ${redactUrlPasswords(describeError(error)).replace(/\s*\n\s*/g, " ")}\n`);
  const original = error instanceof StartupError ? error.cause : error;
  const stack = original instanceof Error ? original.stack : undefined;
  if (stack && ["debug", "trace"].includes(process.env.LOG_LEVEL ?? "")) {
    process.stderr.write(`${redactUrlPasswords(stack)}\n`);
  }
  process.exit(1);
});
