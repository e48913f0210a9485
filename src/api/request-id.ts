import { randomUUID } from "node:crypto";
import type { onRequestHookHandler } from "fastify";

/** A request's id: a UUID without dashes, as CCE's request ids look. */
export const newRequestId = (): string => randomUUID().replaceAll("-", "");

/** Every answer names its request in `X-Request-Id`, as `request_id` does in gateway errors. */
export const requestIdHook: onRequestHookHandler = async (request, reply) => {
  reply.header("x-request-id", request.id);
};
