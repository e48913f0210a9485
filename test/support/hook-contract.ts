import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock } from "../../src/domain/clock.js";
import type { HookDriverConfig, HookTransport } from "../../src/domain/driver-config.js";
import type { PlanTarget } from "../../src/domain/upgrade-plan.js";
import { HookDriver } from "../../src/drivers/hook-driver.js";
import type { HookNetwork } from "../../src/drivers/webhook-network.js";
import type { StepContext } from "../../src/engine/ports.js";
import { CLUSTER } from "./fixtures.js";
import { webhookSecret } from "./hook-receiver.js";

/** One line the hook driver logged. */
export interface LoggedLine {
  readonly level: "info" | "warn";
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** Pre-checks record no version, so the driver never touches the store in these tests. */

const PRECHECK_CONTEXT: StepContext = {
  taskId: "00000000-0000-4000-8000-00000000c0de",
  clusterId: CLUSTER,
  step: {
    kind: "precheck",
    name: "precheck",
    weight: 1,
    targets: [],
    phase: "Running",
    attempts: 1,
    startedAt: null,
    finishedAt: null,
    error: null,
  },
  stepIndex: 0,
  attempt: 1,
};

/**
 * A hook driver that runs one pre-check target through its contract (`apply`), with no repeats of transient
 * failures and a log the test reads.
 */
export function precheckHook(
  config: Omit<Partial<HookDriverConfig>, "type" | "default"> & { default: HookTransport },
  network: Partial<HookNetwork> = {},
) {
  const lines: LoggedLine[] = [];
  const record = (level: LoggedLine["level"]) => (fields: object, message: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, message });
  };
  const driver = new HookDriver(
    { type: "hook", secret: webhookSecret(), retries: 0, retryBackoffSeconds: 0, ...config },
    "prod-a",
    systemClock(),
    { info: record("info"), warn: record("warn") },
    { allowPrivateNetworks: false, ...network },
  );
  const target = (): PlanTarget => ({
    name: "precheck",
    fromVersion: "v1.28.15-r30",
    toVersion: "v1.29.15-r50",
    phase: "Init",
    finishedAt: null,
  });
  return {
    apply: () => driver.apply(PRECHECK_CONTEXT, target(), new AbortController().signal),
    lines,
    /** The fields of the failed calls' log lines. */
    failures: () => lines.filter((line) => line.level === "warn").map((line) => line.fields),
    /** Everything logged as one text, to search for what must never be logged. */
    logText: () => JSON.stringify(lines),
  };
}

/** A webhook transport with a short timeout. */
export function webhookTo(url: string, timeoutSeconds = 2): HookTransport {
  return { type: "webhook", url, timeoutSeconds };
}

/** A plain HTTP server on one address that answers as the test says and counts what reaches it. */
export async function startRawReceiver(
  answer: (request: IncomingMessage, response: ServerResponse) => void,
  host = "127.0.0.1",
  port = 0,
) {
  let requests = 0;
  let connections = 0;
  const server = createServer((request, response) => {
    requests += 1;
    answer(request, response);
  });
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    port: bound,
    url: `http://${urlHost}:${bound}/hook`,
    get requests() {
      return requests;
    },
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type RawReceiver = Awaited<ReturnType<typeof startRawReceiver>>;

/** Answers every call with a JSON body. */
export function answerJson(body: unknown, status = 200) {
  return (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
}
