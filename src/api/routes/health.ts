import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { sql } from "kysely";
import { Type } from "typebox";
import type { Store } from "../../store/database.js";
import { isSchemaCurrent } from "../../store/migrate.js";

const Health = Type.Object({
  status: Type.String({ description: "`ok` or `unavailable`." }),
  database: Type.String(),
  engine: Type.Optional(Type.String({ description: "`running`, `disabled`, `starting`, `draining` or `stopped`." })),
  reason: Type.Optional(Type.String()),
});

/** Why the database cannot serve, or undefined when it answers and its schema is current. */
async function databaseProblem(store: Store): Promise<string | undefined> {
  try {
    await sql`select 1`.execute(store.db);
    return (await isSchemaCurrent(store)) ? undefined : "schema not current";
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * `/healthz`: the process and its database work (liveness). `/readyz`: this replica should get traffic and work, so
 * it also needs its engine running (or switched off); a draining replica is not ready.
 */
export function healthRoutes(store: Store, engineState: () => string): FastifyPluginAsyncTypebox {
  const schema = (operationId: string) => ({
    operationId,
    tags: ["operations"],
    response: { 200: Health, 503: Health },
  });
  return async (app) => {
    app.get("/healthz", { schema: schema("Health") }, async (_request, reply) => {
      const problem = await databaseProblem(store);
      if (problem) return reply.code(503).send({ status: "unavailable", database: store.dialect, reason: problem });
      return { status: "ok", database: store.dialect };
    });

    app.get("/readyz", { schema: schema("Ready") }, async (_request, reply) => {
      const engine = engineState();
      const problem =
        (await databaseProblem(store)) ?? (["running", "disabled"].includes(engine) ? undefined : `engine ${engine}`);
      if (problem)
        return reply.code(503).send({ status: "unavailable", database: store.dialect, engine, reason: problem });
      return { status: "ok", database: store.dialect, engine };
    });
  };
}
