import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import type { HookStepRequest } from "../../src/drivers/hook-request.js";

/** A fresh Standard Webhooks secret. */
export function webhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/** An HTTP answer a test scripts; `undefined` from an interceptor means "answer as the cluster would". */
export interface ScriptedAnswer {
  readonly status?: number;
  readonly body: unknown;
}

export interface ReceivedCall {
  readonly request: HookStepRequest;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A webhook receiver on loopback that plays a cluster: it verifies every signature with the library (401 on a bad
 * one or a stale timestamp), answers `observe` from the versions it has, and runs each new idempotency key of an
 * `apply` as one logical operation: a key it has seen is reported, never run twice.
 */
export async function startHookReceiver(options: {
  secret: string;
  intercept?: (call: ReceivedCall) => Promise<ScriptedAnswer | undefined> | ScriptedAnswer | undefined;
}) {
  const verifier = new Webhook(options.secret);
  const calls: ReceivedCall[] = [];
  const rejections: string[] = [];
  /** Operations run, by idempotency key. */
  const operations = new Map<string, HookStepRequest>();
  /** What is done on the cluster: `<step kind>/<target>` → version (or "done" for pre-checks and backups). */
  const cluster = new Map<string, string>();
  const doneValue = (request: HookStepRequest) =>
    request.step.kind === "precheck" || request.step.kind === "backup" ? request.idempotencyKey : request.toVersion;
  const targetKey = (request: HookStepRequest) => `${request.step.kind}/${request.target.name}`;

  const answerAsCluster = (request: HookStepRequest): ScriptedAnswer => {
    const done = cluster.get(targetKey(request)) === doneValue(request);
    if (request.phase === "observe") return { body: done ? { status: "Success" } : { status: "InProgress" } };
    if (!operations.has(request.idempotencyKey)) {
      operations.set(request.idempotencyKey, request);
      cluster.set(targetKey(request), doneValue(request));
    }
    return { body: { status: "Success" } };
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    let request: HookStepRequest;
    try {
      request = verifier.verify(body, req.headers as Record<string, string>) as HookStepRequest;
    } catch (error) {
      rejections.push((error as Error).message);
      res
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ error: (error as Error).message }));
      return;
    }
    const call = { request, headers: req.headers };
    calls.push(call);
    const answer = (await options.intercept?.(call)) ?? answerAsCluster(request);
    res.writeHead(answer.status ?? 200, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
  });
  // Answers held open by a test must not keep close() waiting.
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks`,
    calls,
    rejections,
    operations,
    /** Calls of one phase, optionally of one step kind. */
    callsOf(phase: "observe" | "apply", kind?: string) {
      return calls
        .map((c) => c.request)
        .filter((r) => r.phase === phase && (kind === undefined || r.step.kind === kind));
    },
    /** Logical operations per `<step kind>/<target>`: 1 everywhere when nothing ran twice. */
    operationsPerTarget(): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const request of operations.values()) counts[targetKey(request)] = (counts[targetKey(request)] ?? 0) + 1;
      return counts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type HookReceiver = Awaited<ReturnType<typeof startHookReceiver>>;

/** A promise a test resolves by hand, to hold a hook call open. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}
