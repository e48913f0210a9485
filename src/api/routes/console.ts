import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import { CONSOLE_POLICY, securityHeadersHook } from "../security-headers.js";

/** Where `vite build --config src/console/vite.config.ts` writes the console. */
const CONSOLE_BUILD = fileURLToPath(new URL("../../../dist/console/", import.meta.url));

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body><h1>The web console is not built</h1>
<p>Run <code>npx vite build --config src/console/vite.config.ts</code> (<code>npm start</code> does it for you),
then reload this page. The API itself is running.</p></body></html>
`;

/**
 * The web console: static files under /console/, outside authentication (the console signs in through the public
 * API like any client). A missing build answers 503 with how to build it, so the API still starts without it.
 */
export function consoleRoutes(buildDirectory = CONSOLE_BUILD) {
  return async (app: FastifyInstance) => {
    app.addHook("onRequest", securityHeadersHook(CONSOLE_POLICY));
    if (!existsSync(`${buildDirectory}/index.html`)) {
      const notBuilt = async (_request: unknown, reply: FastifyReply) =>
        reply.code(503).type("text/html; charset=utf-8").send(NOT_BUILT_PAGE);
      app.get("/console", { schema: { hide: true } }, notBuilt);
      app.get("/console/*", { schema: { hide: true } }, notBuilt);
      return;
    }
    app.get("/console", { schema: { hide: true } }, async (_request, reply) => reply.redirect("/console/"));
    await app.register(fastifyStatic, {
      root: buildDirectory,
      prefix: "/console/",
      decorateReply: false,
      schemaHide: true,
    });
  };
}
