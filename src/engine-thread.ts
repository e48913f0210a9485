import { createRequire } from "node:module";
import { extname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { ServiceConfig } from "./config.js";
import type { EngineMetrics } from "./engine/ports.js";
import type { EngineRuntime } from "./engine-runtime.js";
import type { EngineThreadMessage } from "./engine-thread-entry.js";

/** The worker's module beside this one: `.ts` when run from source, `.js` when built. */
const ENTRY = new URL(`./engine-thread-entry${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * What the worker runs: the built module itself, or from source tsx's loader first (a worker does not inherit the
 * main thread's `--import tsx`, nor a test runner's transform).
 */
function workerModule(): URL {
  if (!ENTRY.pathname.endsWith(".ts")) return ENTRY;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api")).href.replace(/\.cjs$/, ".mjs");
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(ENTRY.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/**
 * Starts the engine, check runner and cluster jobs in a worker thread with its own database connection, so their
 * synchronous SQLite work and garbage collection do not hold up the API's event loop. Resolves once the worker's
 * engine runs; the worker's metrics are reported into `metrics`. A worker that dies unexpectedly stops the process,
 * as an engine failing in the main thread would.
 */
export function startEngineThread(
  config: ServiceConfig,
  logger: Logger,
  metrics: EngineMetrics,
): Promise<EngineRuntime> {
  const worker = new Worker(workerModule(), { workerData: { config } });
  let state = "starting";
  let stopping: Promise<void> | undefined;
  const stopped = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const runtime: EngineRuntime = {
      state: () => state,
      stop() {
        if (!stopping) {
          state = "draining";
          worker.postMessage("stop");
          stopping = stopped;
        }
        return stopping;
      },
    };
    worker.on("message", (message: EngineThreadMessage) => {
      if (message.kind === "state") {
        state = message.state;
        resolve(runtime);
      } else if (message.kind === "stepFinished") metrics.stepFinished(message.stepKind, message.seconds);
      else metrics.leaseTakenOver();
    });
    worker.once("error", (error) => {
      if (state === "starting") return reject(error);
      logger.fatal({ err: error }, "the engine thread failed");
      throw error;
    });
    worker.once("exit", (code) => {
      if (stopping || state === "starting") return;
      throw new Error(`the engine thread exited unexpectedly (code ${code})`);
    });
  });
}
