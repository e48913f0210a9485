import { type Migration, Migrator, sql } from "kysely";
import type { Store } from "./database.js";
import { MIGRATIONS } from "./migrations/index.js";
import { inWriteTransaction } from "./write-transaction.js";

export class SchemaTooNewError extends Error {}
export class MigrationFailedError extends Error {}

const MIGRATION_TABLE = "schema_migrations";

function migrator(store: Store, migrations: Record<string, Migration>): Migrator {
  return new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
    // Kysely looks the tables up by introspection, which sees every PostgreSQL schema: name ours.
    ...(store.schema !== undefined && { migrationTableSchema: store.schema }),
  });
}

/** Names of the migrations the database has applied; empty for a new database. */
async function appliedMigrations(store: Store): Promise<string[]> {
  try {
    const table = store.schema === undefined ? MIGRATION_TABLE : `${store.schema}.${MIGRATION_TABLE}`;
    const query = sql<{ name: string }>`select name from ${sql.table(table)} order by name`;
    return (await query.execute(store.db)).rows.map((r) => r.name);
  } catch (error) {
    // Asking directly (not through introspection, which sees every PostgreSQL schema): no table, no migrations.
    if (isMissingTable(error)) return [];
    throw error;
  }
}

function isMissingTable(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === "42P01" || (typeof message === "string" && message.startsWith("no such table"));
}

/**
 * Brings the schema up to date; no crash or failure can leave a migration half-applied. Refuses a database that has
 * migrations this code does not know: it was written by a newer version.
 */
export async function migrateToLatest(store: Store, migrations = MIGRATIONS): Promise<void> {
  await refuseNewerSchema(store, migrations);
  if (store.dialect === "sqlite") return migrateSqlite(store, migrations);
  // PostgreSQL: Kysely applies every pending migration and its record row in one transaction, under an advisory lock.
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator(store, migrations).migrateToLatest();
    if (!error) return;
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    // Before any migration ran, Kysely lists the tables of every schema; one another schema's migration dropped
    // meanwhile fails that listing. Nothing was applied: ask again.
    if (failed === undefined && isMissingTable(error) && attempt < 5) continue;
    throw new MigrationFailedError(`migration ${failed ?? "unknown"} failed: ${String(error)}`, { cause: error });
  }
}

/**
 * Kysely's SQLite adapter runs DDL outside any transaction, so a crash inside a migration left tables that the next
 * start failed to create again. Here each migration and its record row commit together in `BEGIN IMMEDIATE`, whose
 * write lock also keeps a second process from running the same migration.
 */
async function migrateSqlite(store: Store, migrations: Record<string, Migration>): Promise<void> {
  const applied = await appliedMigrations(store);
  for (const name of Object.keys(migrations).sort()) {
    const migration = migrations[name];
    if (!migration || applied.includes(name)) continue;
    await inWriteTransaction(store, async (db) => {
      await sql`create table if not exists ${sql.table(MIGRATION_TABLE)}
        (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(db);
      const done = await sql`select 1 from ${sql.table(MIGRATION_TABLE)} where name = ${name}`.execute(db);
      if (done.rows.length > 0) return; // another process applied it while this one waited for the lock
      try {
        await migration.up(db);
      } catch (error) {
        throw new MigrationFailedError(`migration ${name} failed: ${String(error)}`, { cause: error });
      }
      await sql`insert into ${sql.table(MIGRATION_TABLE)} (name, timestamp)
        values (${name}, ${new Date().toISOString()})`.execute(db);
    });
  }
}

async function refuseNewerSchema(store: Store, migrations: Record<string, Migration>): Promise<void> {
  const known = Object.keys(migrations);
  const unknown = (await appliedMigrations(store)).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database schema is newer than this code: it has applied ${unknown.join(", ")}, ` +
        `but this code knows migrations only up to ${known.at(-1)}; upgrade cce-upgrade`,
    );
  }
}

/** True when every migration this code knows has been applied. */
export async function isSchemaCurrent(store: Store, migrations = MIGRATIONS): Promise<boolean> {
  const applied = await appliedMigrations(store);
  return Object.keys(migrations).every((name) => applied.includes(name));
}
