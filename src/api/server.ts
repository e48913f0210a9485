import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { JSON_MAX_DEPTH, nestsDeeperThan } from "../domain/json-depth.js";
import { authLimits } from "./auth-limits.js";
import { credentialAuthenticator, DEFAULT_AUTHENTICATION, requireProjectCredential } from "./authentication.js";
import type { ApiContext } from "./context.js";
import { ApiError, ERROR_CATALOGUE, type ErrorEntry, errorBody } from "./errors.js";
import { keepRawBody } from "./raw-body.js";
import { newRequestId, requestIdHook } from "./request-id.js";
import { clusterDriverRoutes } from "./routes/cluster-drivers.js";
import { clusterNodeRoutes } from "./routes/cluster-nodes.js";
import { clusterRoutes } from "./routes/clusters.js";
import { consoleRoutes } from "./routes/console.js";
import { extensionRoutes } from "./routes/extensions.js";
import { healthRoutes } from "./routes/health.js";
import { iamRoutes } from "./routes/iam.js";
import { jobRoutes } from "./routes/jobs.js";
import { installRequestMetrics, metricsRoutes } from "./routes/metrics.js";
import { nodePoolRoutes } from "./routes/node-pools.js";
import { nodeRoutes } from "./routes/nodes.js";
import { postcheckRoutes } from "./routes/postchecks.js";
import { precheckRoutes } from "./routes/prechecks.js";
import { projectStateRoutes } from "./routes/project-state.js";
import { snapshotRoutes } from "./routes/snapshots.js";
import { upgradeControlRoutes } from "./routes/upgrade-controls.js";
import { upgradeInfoRoutes } from "./routes/upgrade-info.js";
import { upgradeTaskRoutes } from "./routes/upgrade-tasks.js";
import { upgradeWorkflowRoutes } from "./routes/upgrade-workflows.js";
import { ErrorResponse } from "./schemas/common.js";
import { API_POLICY, DOCS_POLICY, PRE_ROUTING_HEADERS, policyHeader, securityHeadersHook } from "./security-headers.js";
import { installTaskDocumentCache } from "./task-documents.js";
import { describeValidationError, type ValidationIssue } from "./validation-message.js";

export interface ServerOptions {
  /** A pino logger, or false for none (tests). */
  readonly logger: FastifyBaseLogger | false;
}

/** Builds the HTTP server: CCE routes behind authentication, operational routes beside them. */
export async function buildServer(context: ApiContext, options: ServerOptions) {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    genReqId: newRequestId,
    requestIdHeader: false,
    bodyLimit: context.bodyLimitBytes,
    // Types are never coerced and unknown keys are kept: a wrong type is the client's error, an extra key is harmless.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    frameworkErrors: (error, request, reply) => {
      reply.headers(PRE_ROUTING_HEADERS);
      sendError(request, reply, ERROR_CATALOGUE.invalidRequest, `malformed request: ${error.message}`);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook("onRequest", securityHeadersHook(API_POLICY));
  app.addHook("onRequest", requestIdHook);
  installJsonParser(app);
  const taskDocuments = installTaskDocumentCache(app, context);
  app.setErrorHandler((error: FastifyError, request, reply) => renderError(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    sendError(request, reply, ERROR_CATALOGUE.apiNotFound, ERROR_CATALOGUE.apiNotFound.message);
  });

  app.addSchema(ErrorResponse);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "cce-upgrade",
        version: "0.1.0",
        description: "Huawei Cloud CCE v3 Cluster Upgrade API, self-hosted. Extensions live under /ext/v1.",
      },
      components: {
        securitySchemes: {
          token: { type: "apiKey", in: "header", name: "X-Auth-Token" },
          aksk: { type: "apiKey", in: "header", name: "Authorization", description: "SDK-HMAC-SHA256 signature" },
        },
      },
      security: [{ token: [] }, { aksk: [] }],
    },
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: "/docs", staticCSP: policyHeader(DOCS_POLICY) });
  if (context.metricsRegistry) installRequestMetrics(app, context.metricsRegistry);
  if (context.metricsRegistry) await app.register(metricsRoutes(context.store, context.metricsRegistry));

  await app.register(healthRoutes(context.store, context.engineState ?? (() => "disabled")));
  await app.register(iamRoutes(context));
  await app.register(consoleRoutes());
  await app.register(async (cce) => {
    const authenticator = credentialAuthenticator(context.store, context.clock, {
      ...DEFAULT_AUTHENTICATION,
      bodyLimitBytes: context.bodyLimitBytes,
      failures: authLimits(context.authLimits).failures,
    });
    cce.addHook("preValidation", requireProjectCredential(authenticator));
    await cce.register(clusterRoutes(context));
    await cce.register(upgradeTaskRoutes(context, taskDocuments));
    await cce.register(upgradeControlRoutes(context));
    await cce.register(extensionRoutes(context));
    await cce.register(projectStateRoutes(context));
    await cce.register(clusterDriverRoutes(context));
    await cce.register(clusterNodeRoutes(context));
    await cce.register(precheckRoutes(context));
    await cce.register(postcheckRoutes(context));
    await cce.register(snapshotRoutes(context));
    await cce.register(upgradeInfoRoutes(context));
    await cce.register(upgradeWorkflowRoutes(context));
    await cce.register(jobRoutes(context));
    await cce.register(nodePoolRoutes(context));
    await cce.register(nodeRoutes(context));
  });
  return app;
}

type JsonParserHost = Pick<
  FastifyInstance,
  "getDefaultJsonParser" | "removeAllContentTypeParsers" | "addContentTypeParser"
>;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * JSON bodies: an empty body is no body (SDKs send `Content-Type: application/json` on bodyless POSTs), invalid
 * UTF-8 or JSON, or JSON nested deeper than JSON_MAX_DEPTH, is the client's 400, and prototype-poisoning keys are
 * refused by Fastify's own parser.
 */
function installJsonParser(app: JsonParserHost): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const bytes = body as Buffer;
    keepRawBody(request, bytes);
    if (bytes.length === 0) return done(null, undefined);
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return done(new ApiError("invalidRequest", "request body is not valid UTF-8"), undefined);
    }
    parseJson(request, text, (error, value) => {
      if (error) return done(new ApiError("invalidRequest", `request body is not valid JSON: ${error.message}`));
      // Stored bodies are written back out as JSON, which a deep enough one would overflow.
      if (nestsDeeperThan(value, JSON_MAX_DEPTH)) {
        return done(new ApiError("invalidRequest", `request body nests deeper than ${JSON_MAX_DEPTH} levels`));
      }
      done(null, value);
    });
  });
}

function renderError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { entry, message } = classifyError(error, request);
  if (entry.status >= 500) request.log.error({ err: error }, "request failed");
  if (error instanceof ApiError && error.retryAfterSeconds !== undefined) {
    reply.header("retry-after", String(error.retryAfterSeconds));
  }
  sendError(request, reply, entry, message);
}

/** Maps anything thrown while serving a request to a catalogue entry; only the unexpected becomes a 500. */
function classifyError(error: FastifyError, request: FastifyRequest): { entry: ErrorEntry; message: string } {
  if (error instanceof ApiError) return { entry: error.entry, message: error.message };
  if (error.validation) {
    const message = describeValidationError(error.validationContext, error.validation as ValidationIssue[]);
    return { entry: ERROR_CATALOGUE.invalidRequest, message };
  }
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return { entry: ERROR_CATALOGUE.requestTooLarge, message: ERROR_CATALOGUE.requestTooLarge.message };
  }
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    const type = JSON.stringify(request.headers["content-type"] ?? "");
    return {
      entry: ERROR_CATALOGUE.contentTypeNotSupported,
      message: `content type ${type} is not supported; use application/json`,
    };
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return { entry: ERROR_CATALOGUE.invalidRequest, message: error.message };
  }
  return { entry: ERROR_CATALOGUE.internal, message: ERROR_CATALOGUE.internal.message };
}

function sendError(request: FastifyRequest, reply: FastifyReply, entry: ErrorEntry, message: string): void {
  reply
    .code(entry.status)
    .header("x-request-id", request.id)
    .type("application/json")
    .send(errorBody(entry, message, request.id));
}
