import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, type SqliteStatement } from "kysely";
import pg from "pg";
import { BoundedMap } from "../domain/bounded-map.js";
import { redactUrlPasswords } from "../domain/url-passwords.js";
import { GroupCommitter } from "./group-commit.js";
import { type ListenRetry, PostgresTaskChanges } from "./postgres-task-changes.js";
import type { Database } from "./schema.js";
import { SqliteChanges } from "./sqlite-changes.js";
import { SharedFileSqliteDialect } from "./sqlite-dialect.js";
import type { TaskChanges } from "./task-changes.js";

export type DialectName = "sqlite" | "postgres";

/** An open database: the query builder, which dialect it speaks, and how to close it. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** PostgreSQL: the schema the tables live in. */
  readonly schema?: string;
  /** Shares one durable commit between the engine's and the simulator's small writes. */
  readonly groupCommit: GroupCommitter;
  /** Which tasks may have changed since a reader looked: SQLite's change count, PostgreSQL's notifications. */
  readonly changes: TaskChanges;
  close(): Promise<void>;
}

export class DatabaseUrlError extends Error {}

export interface StoreOptions {
  /** PostgreSQL: how soon the task-change listener reconnects after its connection is lost. */
  readonly listenRetry?: ListenRetry;
}

/**
 * SQLite: how long a statement waits for another process's write lock before it fails with `SQLITE_BUSY`. SQLite's
 * own busy_timeout waits only the first few milliseconds, which block the process; the rest is waited on timers.
 */
const SQLITE_BUSY_WAIT_MS = 5000;
const SQLITE_BLOCKING_WAIT_MS = 10;

/**
 * Opens the database a URL names: `sqlite:<path>` (`sqlite::memory:` for a throw-away one) or
 * `postgres://…`; a `schema` query parameter on a PostgreSQL URL keeps all tables in that schema.
 */
export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  if (url.startsWith("sqlite:")) return openSqlite(url.slice("sqlite:".length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  throw new DatabaseUrlError(
    `DATABASE_URL must start with sqlite: or postgres://, got ${JSON.stringify(redactUrlPasswords(url))}`,
  );
}

/** The database URL as it may be shown: its password replaced by `***`; only its scheme when it does not parse. */
export function displayDatabaseUrl(url: string): string {
  if (url.startsWith("sqlite:")) return url;
  const parsed = parseUrl(url);
  if (!parsed) return `${url.split(":")[0]}:<not a valid URL>`;
  if (parsed.password) parsed.password = "***";
  if (parsed.searchParams.has("password")) parsed.searchParams.set("password", "***");
  return parsed.toString();
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function openSqlite(path: string): Store {
  if (path === "") throw new DatabaseUrlError("DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/cce.db");
  const sqlite = new SqliteDatabase(path);
  // Set explicitly: better-sqlite3 would leave synchronous=NORMAL under WAL, which may lose the last commits.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma(`busy_timeout = ${SQLITE_BLOCKING_WAIT_MS}`);
  sqlite.pragma("foreign_keys = ON");
  // Sorts and window functions (the claim's) keep their scratch b-trees in memory instead of temporary files.
  sqlite.pragma("temp_store = MEMORY");
  const changes = new SqliteChanges(sqlite);
  const dialect = new SharedFileSqliteDialect({
    database: withStatementCache(sqlite, changes),
    inTransaction: () => sqlite.inTransaction,
    busyRetryMs: SQLITE_BUSY_WAIT_MS - SQLITE_BLOCKING_WAIT_MS,
  });
  const db = new Kysely<Database>({ dialect });
  return { db, dialect: "sqlite", groupCommit: new GroupCommitter(db), changes, close: () => db.destroy() };
}

/**
 * Statements are prepared once per SQL text: Kysely asks for a new one on every query, and preparing costs. Each
 * comes out watched, so that every write is counted.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, changes: SqliteChanges, limit = 512) {
  const cache = new BoundedMap<string, SqliteStatement>(limit);
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (!statement) {
        statement = changes.watch(sqlite.prepare(text));
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

const INT8_OID = 20;

async function openPostgres(url: string, options: StoreOptions): Promise<Store> {
  const parsed = parseUrl(url);
  // Not shown: the text may hold a password that did not parse as one.
  if (!parsed)
    throw new DatabaseUrlError(
      "DATABASE_URL is not a valid URL (percent-encode special characters in the user name and password)",
    );
  const schema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new DatabaseUrlError(
      `the schema parameter must be a lowercase SQL identifier, got ${JSON.stringify(schema)}`,
    );
  }
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    // Instants are bigint microseconds, well inside the safe-integer range.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as never,
    },
  });
  if (schema) await pool.query(`create schema if not exists ${schema}`);
  const current = (await pool.query<{ schema: string }>("select current_schema() as schema")).rows[0]?.schema;
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const changes = new PostgresTaskChanges(parsed.toString(), current ?? "public", options.listenRetry);
  return {
    db,
    dialect: "postgres",
    schema: current ?? "public",
    groupCommit: new GroupCommitter(db, 4),
    changes,
    close: async () => {
      await changes.close();
      await db.destroy();
    },
  };
}

/** True when an error is a unique-constraint violation, in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** True when an error is a broken constraint (unique, foreign key, not null, check), in either dialect. */
export function isConstraintViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("23") || code.startsWith("SQLITE_CONSTRAINT"));
}

/** True when PostgreSQL ended a transaction to break a deadlock or a serialization conflict: it may run again. */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "40P01" || code === "40001";
}
