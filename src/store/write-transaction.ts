import { type Kysely, sql } from "kysely";
import type { Store } from "./database.js";
import type { Database } from "./schema.js";

/**
 * Runs `work` in one transaction that commits or rolls back as a whole. On SQLite it is `BEGIN IMMEDIATE`: the write
 * lock is taken at once (waiting up to busy_timeout), because a deferred BEGIN that reads first can fail to upgrade
 * to a writer when another process wrote meanwhile. PostgreSQL uses Kysely's transaction.
 */
export async function inWriteTransaction<T>(store: Store, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (store.dialect === "postgres") return store.db.transaction().execute(work);
  return store.db.connection().execute(async (db) => {
    await sql`begin immediate`.execute(db);
    try {
      const result = await work(db);
      await sql`commit`.execute(db);
      return result;
    } catch (error) {
      // A rollback fails only when SQLite already rolled back by itself (it does on SQLITE_FULL, IOERR, NOMEM).
      await sql`rollback`.execute(db).catch(() => undefined);
      throw error;
    }
  });
}
