import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type DialectName, openStore, type Store, type StoreOptions } from "../../src/store/database.js";
import { migrateToLatest } from "../../src/store/migrate.js";

/** PostgreSQL used by the tests; CI starts it (`.ci/run`). */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `TEST_SKIP_POSTGRES=1` runs the tests on SQLite alone (the mutation run does). */
const postgresWanted = process.env.TEST_SKIP_POSTGRES !== "1";
const postgresUp = postgresWanted && (await postgresReachable());
if (postgresWanted && !postgresUp) {
  if (process.env.CI) throw new Error(`PostgreSQL is required in CI but ${POSTGRES_URL} is not reachable`);
  console.warn(`PostgreSQL at ${POSTGRES_URL} is not reachable: PostgreSQL tests are skipped`);
}

/** The dialects every store and engine test runs on. */
export const DIALECTS: DialectName[] = postgresUp ? ["sqlite", "postgres"] : ["sqlite"];

/** A database URL for a fresh, empty database of the dialect: a new SQLite file or a new PostgreSQL schema. */
export function freshDatabaseUrl(dialect: DialectName): string {
  if (dialect === "sqlite") return `sqlite:${join(mkdtempSync(join(tmpdir(), "cce-test-")), "cce.db")}`;
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("schema", schema);
  return url.toString();
}

/**
 * A fresh, migrated store. Its PostgreSQL schema is left in place until the run ends (test/support/postgres-run.ts):
 * dropping a schema while other tests migrate theirs breaks Kysely's migrator, whose catalogue queries see every
 * schema of the database.
 */
export async function freshStore(dialect: DialectName, options?: StoreOptions): Promise<Store & { url: string }> {
  const url = freshDatabaseUrl(dialect);
  const store = await openStore(url, options);
  await migrateToLatest(store);
  return { ...store, url };
}
