import { normalizeIP } from "@fastify/rate-limit";
import type { FastifyRequest } from "fastify";

/**
 * Where a request comes from, as failures are counted: the IPv4 address (also when it arrives IPv4-mapped) or the
 * IPv6 /64, since one IPv6 client holds a whole /64. The same key the request-rate limit uses.
 */
export function sourceAddress(request: FastifyRequest): string {
  // request.ip is the socket's peer (Fastify's trustProxy is off): behind a proxy, every client is the proxy.
  const ip = request.ip ?? "unknown";
  // A plain IPv4 address is already its own key; this runs on every signed request.
  return ip.includes(":") ? normalizeIP(ip) : ip;
}
