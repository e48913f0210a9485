import { parentPort, workerData } from "node:worker_threads";
import { pino } from "pino";
import type { ServiceConfig } from "./config.js";
import { startEngineRuntime } from "./engine-runtime.js";
import { openStore } from "./store/database.js";

/** What the engine thread tells the main thread. */
export type EngineThreadMessage =
  | { readonly kind: "state"; readonly state: string }
  | { readonly kind: "stepFinished"; readonly stepKind: string; readonly seconds: number }
  | { readonly kind: "leaseTakenOver" };

const port = parentPort;
if (!port) throw new Error("engine-thread-entry runs only as a worker thread");
const { config } = workerData as { config: ServiceConfig };
const send = (message: EngineThreadMessage) => port.postMessage(message);

const store = await openStore(config.databaseUrl);
const runtime = startEngineRuntime(config, store, pino({ level: config.logLevel }), {
  stepFinished: (stepKind, seconds) => send({ kind: "stepFinished", stepKind, seconds }),
  leaseTakenOver: () => send({ kind: "leaseTakenOver" }),
});
send({ kind: "state", state: runtime.state() });
port.once("message", async () => {
  await runtime.stop();
  await store.close();
  send({ kind: "state", state: runtime.state() });
  port.close();
});
