import { type DisplayZone, parseDisplayZone } from "./domain/go-time.js";
import { DEFAULT_FAULT_MAX_STALL_SECONDS } from "./store/fault-queries.js";

/** The service's configuration, validated once at start-up; only `main.ts` reads the environment. */
export interface ServiceConfig {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly seedFile: string | undefined;
  readonly logLevel: string;
  readonly timeZone: DisplayZone;
  readonly bodyLimitBytes: number;
  /** Lifetime of tokens issued by POST /v3/auth/tokens. */
  readonly tokenTtlMs: number;
  readonly engine: {
    readonly enabled: boolean;
    /** `worker`: the engine runs in a thread of its own, beside the API's event loop; `main`: on it. */
    readonly thread: "main" | "worker";
    readonly concurrency: number;
    /** The fraction of the slots one project may hold while another project has work waiting. */
    readonly projectShare: number;
    readonly leaseTtlMs: number;
    readonly pollIntervalMs: number;
    readonly shutdownGraceMs: number;
  };
  /** Divides the simulator's step durations. */
  readonly simSpeed: number;
  /** Lets every hook profile's webhooks reach loopback, private, link-local and other non-public addresses. */
  readonly allowHookPrivateNetworks: boolean;
  /** The longest stall a tenant may inject through the fault API (the seed's faults are the operator's own). */
  readonly faultMaxStallSeconds: number;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Reads the configuration from environment variables; the error names the offending variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ServiceConfig {
  const logLevel = env.LOG_LEVEL ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) fail("LOG_LEVEL", logLevel, `one of ${LOG_LEVELS.join(", ")}`);
  const zoneText = env.TIME_ZONE ?? "UTC";
  const timeZone =
    parseDisplayZone(zoneText) ?? fail("TIME_ZONE", zoneText, "UTC, CST or an offset and name like +0800 CST");
  return {
    port: integer(env, "PORT", 8080, 0, 65535),
    host: env.HOST ?? "127.0.0.1",
    databaseUrl: env.DATABASE_URL ?? "sqlite:./data/cce-upgrade.db",
    seedFile: env.SEED_FILE || undefined,
    logLevel,
    timeZone,
    bodyLimitBytes: integer(env, "BODY_LIMIT_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    tokenTtlMs: integer(env, "TOKEN_TTL_SECONDS", 86_400, 1, 31 * 86_400) * 1000,
    engine: {
      enabled: choice(env, "ENGINE", ["on", "off"], "on") === "on",
      thread: engineThread(env),
      concurrency: integer(env, "ENGINE_CONCURRENCY", 16, 1, 10_000),
      projectShare: fraction(env, "ENGINE_PROJECT_SHARE", 0.5),
      leaseTtlMs: integer(env, "LEASE_TTL_MS", 15_000, 100, 3_600_000),
      pollIntervalMs: integer(env, "ENGINE_POLL_MS", 250, 1, 60_000),
      shutdownGraceMs: integer(env, "SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    },
    simSpeed: positiveNumber(env, "SIM_SPEED", 1),
    allowHookPrivateNetworks: choice(env, "HOOK_ALLOW_PRIVATE_NETWORKS", ["true", "false"], "false") === "true",
    faultMaxStallSeconds: integer(env, "FAULT_MAX_STALL_SECONDS", DEFAULT_FAULT_MAX_STALL_SECONDS, 0, 86_400),
  };
}

/** A worker thread opens a connection of its own: an in-memory SQLite database would be a different, empty one. */
function engineThread(env: Readonly<Record<string, string | undefined>>): "main" | "worker" {
  const thread = choice(env, "ENGINE_THREAD", ["main", "worker"], "main") as "main" | "worker";
  if (thread === "worker" && env.DATABASE_URL === "sqlite::memory:") {
    fail("ENGINE_THREAD", thread, "main with DATABASE_URL=sqlite::memory: (a worker cannot share that database)");
  }
  return thread;
}

function integer(
  env: Readonly<Record<string, string | undefined>>,
  key: string,
  fallback: number,
  min: number,
  max: number,
) {
  const text = env[key];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) fail(key, text, `an integer from ${min} to ${max}`);
  return value;
}

function choice(env: Readonly<Record<string, string | undefined>>, key: string, allowed: string[], fallback: string) {
  const text = env[key] || fallback;
  if (!allowed.includes(text)) fail(key, text, `one of ${allowed.join(", ")}`);
  return text;
}

function positiveNumber(env: Readonly<Record<string, string | undefined>>, key: string, fallback: number) {
  const text = env[key];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!(value > 0)) fail(key, text, "a number above 0 (Infinity makes steps instant)");
  return value;
}

function fraction(env: Readonly<Record<string, string | undefined>>, key: string, fallback: number) {
  const text = env[key];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!(value > 0 && value <= 1)) fail(key, text, "a number above 0 and at most 1");
  return value;
}

function fail(key: string, value: string, expected: string): never {
  throw new ConfigError(`${key}=${JSON.stringify(value)} is invalid: expected ${expected}`);
}
