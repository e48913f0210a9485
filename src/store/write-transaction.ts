import type { Kysely } from "kysely";
import type { Store } from "./database.js";
import type { Database } from "./schema.js";

/**
 * Runs `work` in one transaction that commits or rolls back as a whole. On SQLite every transaction begins
 * `IMMEDIATE` (`sqlite-dialect.ts`): the write lock is taken at once, so one that reads first cannot fail to become a
 * writer when another process wrote meanwhile.
 */
export function inWriteTransaction<T>(store: Store, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return store.db.transaction().execute(work);
}
