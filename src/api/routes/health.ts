import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { sql } from "kysely";
import { Type } from "typebox";
import type { Store } from "../../store/database.js";
import { isSchemaCurrent } from "../../store/migrate.js";

const Health = Type.Object({
  status: Type.String({ description: "`ok` or `unavailable`." }),
  database: Type.String(),
  reason: Type.Optional(Type.String()),
});

/** Liveness of the service and its database: 200 when the database answers and its schema is current. */
export function healthRoutes(store: Store): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/healthz",
      { schema: { operationId: "Health", tags: ["operations"], response: { 200: Health, 503: Health } } },
      async (_request, reply) => {
        try {
          await sql`select 1`.execute(store.db);
          if (!(await isSchemaCurrent(store))) {
            return reply
              .code(503)
              .send({ status: "unavailable", database: store.dialect, reason: "schema not current" });
          }
          return { status: "ok", database: store.dialect };
        } catch (error) {
          return reply
            .code(503)
            .send({ status: "unavailable", database: store.dialect, reason: (error as Error).message });
        }
      },
    );
  };
}
