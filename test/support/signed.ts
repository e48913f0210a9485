import type { FastifyInstance } from "fastify";
import { signRequest } from "../../src/domain/signing/sdk-hmac-sha256.js";
import { AK, SK } from "./fixtures.js";

export interface SignedCall {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT";
  readonly url: string;
  readonly body?: string | Buffer;
  readonly ak?: string;
  readonly sk?: string;
  readonly date?: Date;
  /** Extra headers, signed unless `signedHeaderNames` leaves them out. */
  readonly headers?: Record<string, string>;
  readonly signedHeaderNames?: string[];
  /** The client's address as the server sees it (inject's default is 127.0.0.1). */
  readonly remoteAddress?: string;
  /** Changes the request after signing (a man in the middle). */
  readonly tamper?: (request: { url: string; headers: Record<string, string>; body: string | Buffer }) => void;
}

/** Sends a request signed with SDK-HMAC-SHA256 as the Node SDK signs it (host and content-type included). */
export async function signedInject(app: FastifyInstance, call: SignedCall) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    host: "localhost:80",
    ...call.headers,
  };
  const body = call.body ?? "";
  const auth = signRequest({
    method: call.method,
    url: call.url,
    headers,
    body,
    ak: call.ak ?? AK,
    sk: call.sk ?? SK,
    date: call.date ?? new Date(),
    ...(call.signedHeaderNames && { signedHeaderNames: call.signedHeaderNames }),
  });
  const request = { url: call.url, headers: { ...headers, ...auth }, body };
  call.tamper?.(request);
  return app.inject({
    method: call.method,
    url: request.url,
    headers: request.headers,
    payload: request.body,
    ...(call.remoteAddress && { remoteAddress: call.remoteAddress }),
  });
}
