import { pino } from "pino";
import { loadConfig } from "./config.js";
import { type DemoCredentials, startService } from "./service.js";
import { parseSeed, type SeedFile } from "./store/seed-file.js";

export interface EmulatorOptions {
  /** A seed object or a seed file's path; the demo seed when absent. */
  readonly seed?: object | string;
  /** A `DATABASE_URL`; by default an in-memory SQLite database of this emulator's own. */
  readonly database?: string;
  /** Divides the simulator's step durations (`SIM_SPEED`). */
  readonly simSpeed?: number;
  /** 0 (the default) takes a free port. */
  readonly port?: number;
  /** A pino level; `silent` by default. */
  readonly logLevel?: string;
}

export interface Emulator {
  /** `http://127.0.0.1:<port>`, the endpoint clients are given. */
  readonly url: string;
  /** The first project of the seed with its credentials, when it has a token, an access key and a cluster. */
  readonly demo: DemoCredentials | undefined;
  /** Stops the engine at once (running tasks are handed back), frees the port and closes the database. */
  close(): Promise<void>;
}

/**
 * Starts a whole server in this process, for a test suite: several emulators side by side share nothing (each has
 * its own database, engine and port). Options are validated as the server's environment is.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const config = loadConfig({
    DATABASE_URL: options.database ?? "sqlite::memory:",
    PORT: String(options.port ?? 0),
    HOST: "127.0.0.1",
    LOG_LEVEL: options.logLevel ?? "silent",
    SHUTDOWN_GRACE_MS: "0",
    ...(options.simSpeed !== undefined && { SIM_SPEED: String(options.simSpeed) }),
    ...(typeof options.seed === "string" && { SEED_FILE: options.seed }),
  });
  const seed: SeedFile | undefined =
    typeof options.seed === "object" ? parseSeed(options.seed, "the emulator's seed") : undefined;
  const service = await startService(config, pino({ level: config.logLevel }), seed);
  return { url: service.address, demo: service.demo, close: () => service.close() };
}
