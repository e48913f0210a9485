import { createHash } from "node:crypto";
import type { onRequestHookHandler } from "fastify";
import helmet, { type HelmetOptions } from "helmet";

/** A Content-Security-Policy as directive name → sources. */
export type ContentSecurityPolicy = Readonly<Record<string, readonly string[]>>;

/** JSON, text and error answers load nothing, and no page may frame them. */
export const API_POLICY: ContentSecurityPolicy = {
  "default-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'none'"],
  "frame-ancestors": ["'none'"],
};

/** The one inline `<style>` Swagger UI renders: inside its top bar's logo, shown until @fastify/swagger-ui's replaces it. */
const SWAGGER_LOGO_STYLE = ".logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}";

/**
 * Swagger UI at /docs: its own scripts and stylesheets, its logo's style by hash, `/docs/json`, and the data: icons
 * its stylesheet draws. No Trusted Types: it renders descriptions as sanitized HTML.
 */
export const DOCS_POLICY: ContentSecurityPolicy = {
  ...API_POLICY,
  "script-src": ["'self'"],
  "style-src": ["'self'", `'sha256-${createHash("sha256").update(SWAGGER_LOGO_STYLE).digest("base64")}'`],
  "img-src": ["'self'", "data:"],
  "connect-src": ["'self'"],
};

/**
 * The console's Vite build: one module script and one stylesheet, the API on the same origin. It never writes HTML
 * from strings, so Trusted Types with no policy at all turns any such sink into an error instead of a script.
 */
export const CONSOLE_POLICY: ContentSecurityPolicy = {
  ...API_POLICY,
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'"],
  "connect-src": ["'self'"],
  "require-trusted-types-for": ["'script'"],
  "trusted-types": ["'none'"],
};

/**
 * helmet's settings for responses under `policy`: helmet's defaults (nosniff, `Referrer-Policy:
 * no-referrer`, cross-origin isolation headers) with framing denied. HSTS is left to the TLS terminator: this
 * service speaks plain HTTP, where browsers ignore it.
 */
export function securityHeaders(policy: ContentSecurityPolicy): HelmetOptions {
  return {
    contentSecurityPolicy: { useDefaults: false, directives: policyDirectives(policy) },
    frameguard: { action: "deny" },
    strictTransportSecurity: false,
  };
}

/**
 * An onRequest hook setting helmet's headers for `policy`, on the routes of the scope it is added to. helmet is built
 * once here: @fastify/helmet builds it again on every request (CSP directives parsed anew each time).
 */
export function securityHeadersHook(policy: ContentSecurityPolicy): onRequestHookHandler {
  const middleware = helmet(securityHeaders(policy));
  return (request, reply, done) => {
    middleware(request.raw, reply.raw, (error) => done(error as Error | undefined));
  };
}

/**
 * Headers for what Fastify answers before routing (a malformed URL, through `frameworkErrors`): no hook runs there,
 * helmet's included, and the path such an answer echoes must not be sniffed as HTML.
 */
export const PRE_ROUTING_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": policyHeader(API_POLICY),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** The header's value, for what sets it without helmet (Swagger UI's `staticCSP`). */
export function policyHeader(policy: ContentSecurityPolicy): string {
  return Object.entries(policy)
    .map(([directive, sources]) => [directive, ...sources].join(" "))
    .join("; ");
}

function policyDirectives(policy: ContentSecurityPolicy): Record<string, string[]> {
  return Object.fromEntries(Object.entries(policy).map(([directive, sources]) => [directive, [...sources]]));
}
