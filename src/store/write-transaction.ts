import type { Kysely } from "kysely";
import { isTransientConflict, type Store } from "./database.js";
import type { Database } from "./schema.js";

/**
 * Runs `work` in one transaction that commits or rolls back as a whole. On SQLite every transaction begins
 * `IMMEDIATE` (`sqlite-dialect.ts`): the write lock is taken at once, so one that reads first cannot fail to become a
 * writer when another process wrote meanwhile.
 */
export function inWriteTransaction<T>(store: Store, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return store.db.transaction().execute(work);
}

/**
 * `inWriteTransaction` for work that locks many rows (a whole project's): PostgreSQL may end it to break a deadlock
 * with the engine's batched commits, which lock the same rows in another order; it is then run again, a few times.
 */
export async function inRetriedWriteTransaction<T>(
  store: Store,
  work: (db: Kysely<Database>) => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inWriteTransaction(store, work);
    } catch (error) {
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
    }
  }
}
