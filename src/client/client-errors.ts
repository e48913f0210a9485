import type { Job, UpgradeTask } from "./operation-types.js";

/** Longest piece of a non-CCE error body kept as the message (a proxy's HTML page, say). */
const MAX_RAW_MESSAGE = 200;

/**
 * A non-2xx answer, with the fields of the official SDK's exception: the HTTP status, CCE's (or the API gateway's)
 * error code and message, and the `X-Request-Id` the server logged the request under.
 */
export class CceUpgradeClientError extends Error {
  override readonly name = "CceUpgradeClientError";

  constructor(
    readonly httpStatusCode: number,
    /** Undefined when the body was not a CCE error (a proxy answered, say). */
    readonly errorCode: string | undefined,
    readonly errorMsg: string,
    /** Undefined when the answer had no `X-Request-Id` header. */
    readonly requestId: string | undefined,
  ) {
    super(`${httpStatusCode} ${errorCode ?? "(no error code)"}: ${errorMsg}`);
  }
}

/** The endpoint did not answer at all: refused, unknown host, reset. `cause` has the system error. */
export class CceUpgradeConnectionError extends Error {
  override readonly name = "CceUpgradeConnectionError";

  constructor(
    readonly endpoint: string,
    cause: unknown,
  ) {
    super(`the endpoint ${endpoint} did not answer: ${describeCause(cause)}`, { cause });
  }
}

/** `waitForTask` gave up before the task ended; `lastTask` is the last one read. */
export class TaskWaitTimeoutError extends Error {
  override readonly name = "TaskWaitTimeoutError";

  constructor(
    readonly lastTask: UpgradeTask,
    timeoutMs: number,
  ) {
    super(
      `upgrade task ${lastTask.metadata.uid} is still ${lastTask.status.phase} at ${lastTask.status.progress}% after ${timeoutMs} ms`,
    );
  }
}

/** `waitForJob` gave up before the job ended; `lastJob` is the last one read. */
export class JobWaitTimeoutError extends Error {
  override readonly name = "JobWaitTimeoutError";

  constructor(
    readonly lastJob: Job,
    timeoutMs: number,
  ) {
    super(`${lastJob.spec.type} job ${lastJob.metadata.uid} is still ${lastJob.status.phase} after ${timeoutMs} ms`);
  }
}

/**
 * Reads the error body as the Go SDK's CCE handler does: `error_code`/`error_msg`, else CCE's documented
 * `errorCode`/`errorMessage` (the server sends both), else the gateway's nested `error` object.
 */
export function errorFromAnswer(status: number, requestId: string | undefined, text: string): CceUpgradeClientError {
  const body = parseObject(text);
  const nested = asObject(body?.error);
  const code = firstString(body?.error_code, body?.errorCode, nested?.code);
  const message = firstString(body?.error_msg, body?.errorMessage, nested?.message);
  const fallback = text.trim().slice(0, MAX_RAW_MESSAGE) || `the server answered ${status} without a message`;
  return new CceUpgradeClientError(status, code, message ?? fallback, requestId);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === "string" && value !== "");
}

/** fetch says only "fetch failed"; its cause names the system error (ECONNREFUSED, ENOTFOUND). */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause;
  return inner instanceof Error ? inner.message : cause.message;
}
