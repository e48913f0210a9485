import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { Gauge, Histogram, type Registry } from "prom-client";
import { UPGRADE_TASK_PHASES } from "../../domain/upgrade-task.js";
import type { Store } from "../../store/database.js";

/** Route label of requests no route matched: the raw URL would give every probe its own series. */
const UNMATCHED_ROUTE = "unmatched";

/** Times every response by method, route template and status code. Installed on the root so it sees every route. */
export function installRequestMetrics(app: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration, by method, route template and status code.",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    duration.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000);
  });
}

/** `GET /metrics` in the Prometheus text format; upgrade tasks by phase are counted in the database on each scrape. */
export function metricsRoutes(store: Store, registry: Registry): FastifyPluginAsync {
  registerTaskPhaseGauge(store, registry);
  return async (app) => {
    app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    });
  };
}

function registerTaskPhaseGauge(store: Store, registry: Registry): void {
  new Gauge({
    name: "cce_upgrade_tasks",
    help: "Upgrade tasks in the database, by phase.",
    labelNames: ["phase"] as const,
    registers: [registry],
    async collect() {
      const counts = await countTasksByPhase(store);
      for (const phase of UPGRADE_TASK_PHASES) this.set({ phase }, counts.get(phase) ?? 0);
    },
  });
}

async function countTasksByPhase(store: Store): Promise<Map<string, number>> {
  const rows = await store.db
    .selectFrom("upgrade_tasks")
    .select((eb) => ["phase", eb.fn.countAll().as("count")])
    .groupBy("phase")
    .execute();
  // PostgreSQL returns count(*) as a string.
  return new Map(rows.map((row) => [row.phase, Number(row.count)]));
}
