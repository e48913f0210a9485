import { randomUUID } from "node:crypto";
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { Webhook } from "standardwebhooks";
import { Type } from "typebox";
import { Compile } from "typebox/compile";
import type { Clock } from "../domain/clock.js";
import type { StepFailure } from "../domain/upgrade-plan.js";
import type { CallDetail, CallOutcome, HookCaller, HookStepRequest } from "./hook-request.js";
import { tenantReason } from "./hook-request.js";
import { checkedLookup, checkLiteralHost, type HostResolver, RefusedAddressError } from "./webhook-network.js";

/** What a receiver answers with a 2xx; extra keys are allowed and ignored. */
const checkAnswer = Compile(
  Type.Union([
    Type.Object({ status: Type.Literal("Success") }),
    Type.Object({ status: Type.Literal("InProgress"), retryAfterSeconds: Type.Optional(Type.Number({ minimum: 0 })) }),
    Type.Object({
      status: Type.Literal("Failure"),
      reason: Type.String(),
      errorCode: Type.Optional(Type.String()),
      retryable: Type.Optional(Type.Boolean()),
    }),
  ]),
);

/** The most of an answer that is read; a longer one is cut off there (a 400 MB answer once took 1.2 GB). */
const ANSWER_LIMIT_BYTES = 64 * 1024;

/** How much of an answer the server's log quotes. */
const LOGGED_ANSWER_CHARS = 4096;

/** A declared `errorCode` must look like a code; anything else is replaced by FAILED_CODE. */
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const FAILED_CODE = "HookFailed";

/** One failure for every way of not reaching a webhook, so the API cannot tell an open port from a closed one. */
const UNREACHABLE: StepFailure = {
  code: "HookUnreachable",
  message: "webhook could not be reached or did not answer in time",
  retryable: true,
};

/** Where a webhook may go: the profile's or the operator's allowance, and the resolver to use. */
export interface WebhookReach {
  readonly allowPrivateNetwork: boolean;
  readonly resolve: HostResolver;
}

interface Answer {
  readonly status: number;
  readonly text: string;
  /** False when the answer was longer than ANSWER_LIMIT_BYTES and cut off. */
  readonly whole: boolean;
  /** What came off the connection, head included. */
  readonly bytesReceived: number;
}

/**
 * Calls a hook over HTTP(S): a POST of the step request signed with the Standard Webhooks scheme. A fresh
 * `webhook-id` per delivery; the operation's identity is the idempotency key, in the body and its own header. The
 * host is resolved once per call and the connection goes to the address checked; redirects are not followed; at
 * most ANSWER_LIMIT_BYTES of an answer are read.
 */
export class WebhookCaller implements HookCaller {
  readonly #signer: Webhook;
  readonly #url: URL;

  constructor(
    url: string,
    secret: string,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
    private readonly reach: WebhookReach,
  ) {
    this.#signer = new Webhook(secret);
    // The schema refuses `user:password@`; one stored before that is dropped here, never sent or shown.
    this.#url = new URL(url);
    this.#url.username = "";
    this.#url.password = "";
  }

  async call(request: HookStepRequest, signal: AbortSignal): Promise<CallOutcome> {
    const body = JSON.stringify(request);
    const id = `msg_${randomUUID()}`;
    const sentAt = new Date(this.clock.nowMicros() / 1000);
    const headers: OutgoingHttpHeaders = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "user-agent": "cce-upgrade-hook/1",
      "idempotency-key": request.idempotencyKey,
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
      "webhook-signature": this.#signer.sign(id, sentAt, body),
    };
    const callSignal = AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]);
    try {
      return answerOutcome(await this.#post(body, headers, callSignal));
    } catch (error) {
      // The run's own abort (drain, lost lease) ends the step; anything else is the network's or the timeout's.
      signal.throwIfAborted();
      const detail = { host: this.#url.host, ...networkError(error, callSignal.aborted) };
      return { kind: "transient", failure: UNREACHABLE, detail };
    }
  }

  #post(body: string, headers: OutgoingHttpHeaders, signal: AbortSignal): Promise<Answer> {
    const url = this.#url;
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    checkLiteralHost(host, this.reach.allowPrivateNetwork);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send(
        {
          protocol: url.protocol,
          host,
          ...(url.port !== "" && { port: Number(url.port) }),
          path: `${url.pathname}${url.search}`,
          method: "POST",
          headers,
          // A fresh connection per call: each one is resolved and checked anew.
          agent: false,
          lookup: checkedLookup(this.reach.resolve, this.reach.allowPrivateNetwork),
          signal,
        },
        (response) => readAnswer(response).then(resolve, reject),
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }
}

/**
 * Reads the answer up to ANSWER_LIMIT_BYTES, then closes the connection: one that declares a longer body is closed
 * before its body is read; one that does not, at the socket read that crosses the limit.
 */
async function readAnswer(response: IncomingMessage): Promise<Answer> {
  const answer = (text: string, whole: boolean): Answer => {
    if (!whole) response.socket.destroy();
    return { status: response.statusCode ?? 0, text, whole, bytesReceived: response.socket.bytesRead };
  };
  if (Number(response.headers["content-length"]) > ANSWER_LIMIT_BYTES) return answer("", false);
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (kept + chunk.length > ANSWER_LIMIT_BYTES) {
      chunks.push(chunk.subarray(0, ANSWER_LIMIT_BYTES - kept));
      return answer(Buffer.concat(chunks).toString("utf8"), false);
    }
    kept += chunk.length;
    chunks.push(chunk);
  }
  return answer(Buffer.concat(chunks).toString("utf8"), true);
}

function answerOutcome(answer: Answer): CallOutcome {
  const { status } = answer;
  const detail: CallDetail = {
    status,
    answer: answer.text.slice(0, LOGGED_ANSWER_CHARS),
    bytesReceived: answer.bytesReceived,
    ...(!answer.whole && { answerCutOffAtBytes: ANSWER_LIMIT_BYTES }),
  };
  if (status >= 500 || status === 408 || status === 429) {
    return { kind: "transient", failure: unavailable(`webhook answered ${status}`), detail };
  }
  if (status >= 300 && status < 400) {
    return { kind: "failed", failure: rejected(`webhook answered ${status}; redirects are not followed`), detail };
  }
  if (status < 200 || status >= 300) return { kind: "failed", failure: rejected(`webhook answered ${status}`), detail };
  if (!answer.whole) {
    const message = `webhook answer is longer than ${ANSWER_LIMIT_BYTES / 1024} KiB`;
    return { kind: "failed", failure: { code: "HookAnswerTooLarge", message, retryable: false }, detail };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    parsed = undefined;
  }
  if (!checkAnswer.Check(parsed)) {
    const message = "webhook answer is not a Success, InProgress or Failure status";
    return { kind: "failed", failure: { code: "HookBadAnswer", message, retryable: false }, detail };
  }
  switch (parsed.status) {
    case "Success":
      return { kind: "done" };
    case "InProgress":
      return parsed.retryAfterSeconds === undefined
        ? { kind: "in-progress" }
        : { kind: "in-progress", retryAfterMs: parsed.retryAfterSeconds * 1000 };
    case "Failure":
      return { kind: "failed", failure: declaredFailure(parsed), detail };
  }
}

/** A hook's own Failure: its reason and code as it declared them, cleaned and bounded. */
function declaredFailure(answer: { reason: string; errorCode?: string; retryable?: boolean }): StepFailure {
  const code = answer.errorCode !== undefined && ERROR_CODE.test(answer.errorCode) ? answer.errorCode : FAILED_CODE;
  const reason = tenantReason(answer.reason, "start");
  return {
    code,
    message: reason === "" ? "the hook reported a failure" : reason,
    retryable: answer.retryable ?? false,
  };
}

function rejected(message: string): StepFailure {
  return { code: "HookRejected", message, retryable: false };
}

function unavailable(message: string): StepFailure {
  return { code: "HookUnavailable", message, retryable: true };
}

/** What the operator's log says about a call that reached no answer. */
function networkError(error: unknown, timedOut: boolean): CallDetail {
  if (error instanceof RefusedAddressError) {
    return { error: error.code, refusedAddress: error.address, range: error.range };
  }
  const { name, code, message } = error as NodeJS.ErrnoException;
  return { error: timedOut ? "timeout" : (code ?? name), detail: message };
}
