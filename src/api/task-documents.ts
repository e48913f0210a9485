import type { FastifyInstance } from "fastify";
import { Counter, Gauge } from "prom-client";
import { type DocumentCacheEvents, TaskDocumentCache } from "../store/task-document-cache.js";
import type { TaskDocumentRow } from "../store/upgrade-task-queries.js";
import type { ApiContext } from "./context.js";
import { upgradeTaskDocument } from "./wire-format.js";

type UpgradeTaskDocument = ReturnType<typeof upgradeTaskDocument>;

/** Only these methods never write. */
const READ_ONLY_METHODS = new Set(["GET", "HEAD"]);

/**
 * ShowUpgradeClusterTask's documents, kept in memory (see TaskDocumentCache). A request that may write moves the
 * cache's mark when it arrives and before its response goes out.
 */
export function installTaskDocumentCache(
  app: FastifyInstance,
  context: ApiContext,
): TaskDocumentCache<UpgradeTaskDocument> {
  const render = (row: TaskDocumentRow) => upgradeTaskDocument(row, context.zone);
  const cache = new TaskDocumentCache(context.store, render, cacheMetrics(context));
  const moved = (method: string) => {
    if (!READ_ONLY_METHODS.has(method)) cache.writeRequestMoved();
  };
  app.addHook("onRequest", (request, _reply, done) => {
    moved(request.method);
    done();
  });
  app.addHook("onSend", (request, _reply, payload, done) => {
    moved(request.method);
    done(null, payload);
  });
  app.addHook("onClose", async () => cache.close());
  return cache;
}

function cacheMetrics(context: ApiContext): DocumentCacheEvents | undefined {
  const registry = context.metricsRegistry;
  if (!registry) return undefined;
  const { changes } = context.store;
  new Gauge({
    name: "cce_task_changes_listening",
    help: "1 while this process hears every writer's task changes and may answer ShowUpgradeClusterTask from memory; 0 while it reads each one from the database.",
    registers: [registry],
    collect() {
      this.set(changes.listening ? 1 : 0);
    },
  });
  const served = new Counter({
    name: "cce_task_documents_served_total",
    help: "ShowUpgradeClusterTask documents answered, by where they came from (memory or database).",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  const heard = new Counter({
    name: "cce_task_changes_heard_total",
    help: "Task changes this process heard announced by PostgreSQL notifications (any replica's commits).",
    registers: [registry],
  });
  return { served: (source) => served.inc({ source }), heard: () => heard.inc() };
}
