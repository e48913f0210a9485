// The framework floor for bench/http.ts: Fastify alone, answering every GET with the service's bytes and headers.
// FLOOR_HOOKS=service sets them through the service's own security-header and request-id hooks instead.
import Fastify from "fastify";
import { newRequestId, requestIdHook } from "../src/api/request-id.js";
import { API_POLICY, securityHeadersHook } from "../src/api/security-headers.js";

const body = process.env.FLOOR_BODY ?? "{}";
/** The service's response headers as bench/http.ts saw them, x-request-id included (then fixed). */
const headers = JSON.parse(process.env.FLOOR_HEADERS ?? "{}") as Record<string, string>;
const withServiceHooks = process.env.FLOOR_HOOKS === "service";

const app = Fastify({ logger: false, genReqId: newRequestId, requestIdHeader: false });
if (withServiceHooks) {
  app.addHook("onRequest", securityHeadersHook(API_POLICY));
  app.addHook("onRequest", requestIdHook);
}
const fixed = withServiceHooks ? { "content-type": headers["content-type"] ?? "application/json" } : headers;
app.get("/*", (_request, reply) => {
  reply.headers(fixed).send(body);
});

const address = await app.listen({ port: 0, host: "127.0.0.1" });
process.stdout.write(`listening at ${address}\n`);
// A clean exit, so that `node --cpu-prof` writes its profile.
process.once("SIGINT", () => void app.close());
