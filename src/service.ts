import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { buildServer } from "./api/server.js";
import type { ServiceConfig } from "./config.js";
import { ConfigError } from "./config.js";
import { systemClock } from "./domain/clock.js";
import { prometheusEngineMetrics } from "./engine/engine-metrics.js";
import { type EngineRuntime, startEngine } from "./engine-runtime.js";
import { DatabaseUrlError, displayDatabaseUrl, openStore, type Store } from "./store/database.js";
import { hasProject, isEmpty, readDemoSeed } from "./store/demo-seed.js";
import { migrateToLatest } from "./store/migrate.js";
import { applyDriverProfiles, applySeed, readSeedFile, type SeedFile, SeedFileError } from "./store/seed-file.js";

/** The first project of the demo seed, when the demo applies: what the banner shows and an emulator returns. */
export interface DemoCredentials {
  readonly projectId: string;
  readonly token: string;
  readonly ak: string;
  readonly sk: string;
  readonly user: { readonly name: string; readonly password: string } | undefined;
  readonly clusterId: string;
}

/** A started service: its address, the demo credentials when the demo seed applies, and how to stop it. */
export interface RunningService {
  readonly address: string;
  readonly dialect: Store["dialect"];
  readonly demo: DemoCredentials | undefined;
  /** Stops taking requests, lets current steps finish within the grace and hands tasks back, closes the database. */
  close(): Promise<void>;
}

/**
 * Starts the whole service from a validated configuration: database, migrations, seed, engine, check runner and the
 * HTTP server. `seed` replaces `config.seedFile` (an emulator's seed object). Reads no environment, installs no
 * signal handler: `main.ts` and `startEmulator` do what their callers expect.
 */
export async function startService(config: ServiceConfig, logger: Logger, seed?: SeedFile): Promise<RunningService> {
  const clock = systemClock();
  const database = displayDatabaseUrl(config.databaseUrl);
  const store = await startupStep(`cannot open the database ${database}`, () => openConfiguredStore(config));
  try {
    await startupStep(`cannot migrate the database ${database}`, () => migrateToLatest(store));
    const demo = await startupStep(`cannot apply the seed ${config.seedFile ?? "(demo)"}`, () =>
      applyStartupSeed(store, config, clock, seed),
    );
    return await startParts(config, logger, store, demo);
  } catch (error) {
    await store.close();
    throw error;
  }
}

async function startParts(
  config: ServiceConfig,
  logger: Logger,
  store: Store,
  demo: DemoCredentials | undefined,
): Promise<RunningService> {
  const clock = systemClock();
  const metricsRegistry = new Registry();
  collectDefaultMetrics({ register: metricsRegistry });
  const engineMetrics = prometheusEngineMetrics(metricsRegistry);
  let engine: EngineRuntime | undefined;
  const app = await buildServer(
    {
      store,
      clock,
      zone: config.timeZone,
      bodyLimitBytes: config.bodyLimitBytes,
      tokenTtlMs: config.tokenTtlMs,
      engineState: () => engine?.state() ?? (config.engine.enabled ? "starting" : "disabled"),
      metricsRegistry,
      faultMaxStallSeconds: config.faultMaxStallSeconds,
    },
    { logger },
  );
  const address = await app.listen({ port: config.port, host: config.host });
  if (config.engine.enabled) {
    engine = await startupStep("cannot start the engine", () =>
      startEngine(config, store, logger, engineMetrics),
    ).catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
  }
  const shownDemo = demo && (await hasProject(store.db, demo.projectId)) ? demo : undefined;
  return {
    address,
    dialect: store.dialect,
    demo: shownDemo,
    async close() {
      await Promise.all([app.close(), engine?.stop()]);
      await store.close();
    },
  };
}

async function openConfiguredStore(config: ServiceConfig): Promise<Store> {
  if (config.databaseUrl.startsWith("sqlite:") && config.databaseUrl !== "sqlite::memory:") {
    await mkdir(dirname(config.databaseUrl.slice("sqlite:".length)), { recursive: true });
  }
  return openStore(config.databaseUrl);
}

/**
 * Applies the given seed, else SEED_FILE, else the demo seed on an empty database; returns the demo credentials when
 * the demo applies.
 */
async function applyStartupSeed(
  store: Store,
  config: ServiceConfig,
  clock: ReturnType<typeof systemClock>,
  given: SeedFile | undefined,
): Promise<DemoCredentials | undefined> {
  if (given) {
    await applySeed(store, given, clock, "the emulator's seed");
    return demoCredentials(given);
  }
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

/** Errors whose message already says what is wrong and where. */
const SELF_EXPLAINED = [ConfigError, DatabaseUrlError, SeedFileError];

/** A start that failed at one step; the message is `<problem>: <what went wrong>`. */
export class StartupError extends Error {}

/** Runs one step of the start; a failure is reported as `<problem>: <what went wrong>`. */
async function startupStep<T>(problem: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (SELF_EXPLAINED.some((type) => error instanceof type)) throw error;
    throw new StartupError(`${problem}: ${describeError(error)}`, { cause: error });
  }
}

/** An error as one line's worth of text. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  // Node reports a refused connection to every address of a host as an AggregateError without a message.
  if (error instanceof AggregateError) return error.errors.map(describeError).join("; ");
  return (error as NodeJS.ErrnoException).code ?? error.name;
}
