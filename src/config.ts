import { type DisplayZone, parseDisplayZone } from "./domain/go-time.js";

/** The service's configuration, validated once at start-up; only `main.ts` reads the environment. */
export interface ServiceConfig {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly seedFile: string | undefined;
  readonly logLevel: string;
  readonly timeZone: DisplayZone;
  readonly bodyLimitBytes: number;
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
  };
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

function fail(key: string, value: string, expected: string): never {
  throw new ConfigError(`${key}=${JSON.stringify(value)} is invalid: expected ${expected}`);
}
