import { randomUUID } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { Type } from "typebox";
import { Compile } from "typebox/compile";
import type { Clock } from "../domain/clock.js";
import type { CallOutcome, HookCaller, HookStepRequest } from "./hook-request.js";

/** What a receiver answers with a 2xx; extra keys are allowed and ignored. */
const checkAnswer = Compile(
  Type.Union([
    Type.Object({ status: Type.Literal("Success") }),
    Type.Object({ status: Type.Literal("InProgress"), retryAfterSeconds: Type.Optional(Type.Number({ minimum: 0 })) }),
    Type.Object({
      status: Type.Literal("Failure"),
      reason: Type.String(),
      errorCode: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      retryable: Type.Optional(Type.Boolean()),
    }),
  ]),
);

/** How much of an unexpected answer the failure quotes. */
const QUOTED_CHARS = 300;

/**
 * Calls a hook over HTTP(S): a POST of the step request signed with the Standard Webhooks scheme. A fresh
 * `webhook-id` per delivery; the operation's identity is the idempotency key, in the body and its own header.
 */
export class WebhookCaller implements HookCaller {
  readonly #signer: Webhook;

  constructor(
    private readonly url: string,
    secret: string,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {
    this.#signer = new Webhook(secret);
  }

  async call(request: HookStepRequest, signal: AbortSignal): Promise<CallOutcome> {
    const body = JSON.stringify(request);
    const id = `msg_${randomUUID()}`;
    const sentAt = new Date(this.clock.nowMicros() / 1000);
    const callSignal = AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]);
    try {
      const response = await fetch(this.url, {
        method: "POST",
        redirect: "manual",
        headers: {
          "content-type": "application/json",
          "user-agent": "cce-upgrade-hook/1",
          "idempotency-key": request.idempotencyKey,
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
          "webhook-signature": this.#signer.sign(id, sentAt, body),
        },
        body,
        signal: callSignal,
      });
      return answerOutcome(response.status, await response.text());
    } catch (error) {
      // The run's own abort (drain, lost lease) ends the step; anything else is the network's or the timeout's.
      signal.throwIfAborted();
      const timedOut = (error as Error).name === "TimeoutError";
      const message = timedOut
        ? `webhook did not answer within ${this.timeoutMs / 1000} s`
        : `webhook call failed: ${describeNetworkError(error)}`;
      return {
        kind: "transient",
        failure: { code: timedOut ? "HookTimeout" : "HookUnreachable", message, retryable: true },
      };
    }
  }
}

function answerOutcome(status: number, text: string): CallOutcome {
  const quoted = text.slice(0, QUOTED_CHARS);
  if (status >= 500 || status === 408 || status === 429) {
    return {
      kind: "transient",
      failure: { code: "HookUnavailable", message: `webhook answered ${status}: ${quoted}`, retryable: true },
    };
  }
  if (status < 200 || status >= 300) {
    return {
      kind: "failed",
      failure: { code: "HookRejected", message: `webhook answered ${status}: ${quoted}`, retryable: false },
    };
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  if (!checkAnswer.Check(answer)) {
    const message = `webhook answer is not a Success, InProgress or Failure status: ${quoted}`;
    return { kind: "failed", failure: { code: "HookBadAnswer", message, retryable: false } };
  }
  switch (answer.status) {
    case "Success":
      return { kind: "done" };
    case "InProgress":
      return answer.retryAfterSeconds === undefined
        ? { kind: "in-progress" }
        : { kind: "in-progress", retryAfterMs: answer.retryAfterSeconds * 1000 };
    case "Failure":
      return {
        kind: "failed",
        failure: {
          code: answer.errorCode ?? "HookFailed",
          message: answer.reason,
          retryable: answer.retryable ?? false,
        },
      };
  }
}

/** fetch hides the cause (ECONNREFUSED, a TLS error) one level down. */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
