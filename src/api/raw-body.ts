import type { FastifyRequest } from "fastify";
import { ApiError } from "./errors.js";

const RAW_BODY = Symbol("rawBody");

interface WithRawBody {
  [RAW_BODY]?: Buffer;
}

/** Keeps the bytes of a parsed body: signatures are computed over them, never over re-serialized JSON. */
export function keepRawBody(request: FastifyRequest, bytes: Buffer): void {
  (request as WithRawBody)[RAW_BODY] = bytes;
}

/**
 * The request body's bytes as they arrived. Fastify parses no body on GET, yet SDKs send `{}` there and sign it, so
 * an unparsed body is read here, within the body limit.
 */
export async function rawBodyOf(request: FastifyRequest, limitBytes: number): Promise<Buffer> {
  const kept = (request as WithRawBody)[RAW_BODY];
  if (kept) return kept;
  const hasBody =
    Number(request.headers["content-length"] ?? 0) > 0 || request.headers["transfer-encoding"] !== undefined;
  if (!hasBody || request.raw.readableEnded) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new ApiError("requestTooLarge");
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  keepRawBody(request, bytes);
  return bytes;
}
