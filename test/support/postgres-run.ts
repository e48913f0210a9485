import pg from "pg";
import { POSTGRES_URL } from "./databases.js";

/** Test schemas are named `t_` and 12 hex digits (freshDatabaseUrl). */
const TEST_SCHEMA = "^t_[0-9a-f]{12}$";

/** Drops every test schema; run before and after the test run, when no test is using one. */
async function dropTestSchemas(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch {
    return;
  }
  try {
    const { rows } = await client.query<{ name: string }>(
      "select nspname as name from pg_namespace where nspname ~ $1",
      [TEST_SCHEMA],
    );
    for (const { name } of rows) await client.query(`drop schema if exists ${name} cascade`);
  } finally {
    await client.end();
  }
}

/** vitest global setup: a clean database before the run, and after it. */
export default async function setup(): Promise<() => Promise<void>> {
  await dropTestSchemas();
  return dropTestSchemas;
}
