import type { Kysely, KyselyPlugin, Transaction } from "kysely";
import type { Database } from "../../src/store/schema.js";

/** How many statements `work` runs through the transaction it is given (one of its own, committed). */
export async function statementsOf(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<unknown>,
): Promise<number> {
  let statements = 0;
  const counter: KyselyPlugin = {
    transformQuery: ({ node }) => {
      statements += 1;
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  await db.transaction().execute((trx) => work(trx.withPlugin(counter)));
  return statements;
}
