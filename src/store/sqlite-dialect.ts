import {
  CompiledQuery,
  type DatabaseConnection,
  type QueryResult,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from "kysely";

/** Longest pause between two tries of a statement answered `SQLITE_BUSY`: short, the lock is free only briefly. */
const BUSY_RETRY_MAX_PAUSE_MS = 4;

export interface SharedFileSqliteDialectConfig extends SqliteDialectConfig {
  /** Whether the connection is inside an explicit transaction (better-sqlite3's `inTransaction`). */
  readonly inTransaction: () => boolean;
  /** How long a statement that may be repeated is tried again while SQLite answers `SQLITE_BUSY`. */
  readonly busyRetryMs: number;
}

/**
 * Kysely's SQLite dialect, made safe for several processes on one file:
 * - every transaction begins `IMMEDIATE`. A deferred `BEGIN` that reads and then writes must upgrade to the write
 *   lock, and SQLite answers that upgrade `SQLITE_BUSY` at once, without waiting for busy_timeout, whenever another
 *   connection holds or has just used the lock (waiting could not help: the reader's snapshot would be stale).
 *   `BEGIN IMMEDIATE` takes the lock up front, where SQLite does wait.
 * - a statement answered `SQLITE_BUSY` (after the connection's short busy_timeout) is tried again for up to
 *   `busyRetryMs`, a few milliseconds apart, when repeating it is safe: outside an explicit transaction (it did
 *   nothing; `BEGIN IMMEDIATE` is one) and a `COMMIT` (the transaction stays open), as sqlite3_step's documentation
 *   says. Inside a transaction it is thrown, and the transaction rolls back. The pauses are timers, not SQLite's busy
 *   handler, which sleeps the whole process (HTTP, lease renewals) and, past its first tries, looks only every
 *   100 ms: too seldom to catch the lock between another process's back-to-back group commits.
 */
export class SharedFileSqliteDialect extends SqliteDialect {
  readonly #config: SharedFileSqliteDialectConfig;

  constructor(config: SharedFileSqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  readonly #config: SharedFileSqliteDialectConfig;
  readonly #turns = new ConnectionQueue();
  #connection: BusyRetryingConnection | undefined;

  constructor(config: SharedFileSqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  /** The one connection, in turn: Kysely's own lock is only used once, to get the connection. */
  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#turns.take();
    if (!this.#connection) {
      const connection = await super.acquireConnection();
      await super.releaseConnection();
      this.#connection = new BusyRetryingConnection(connection, this.#config);
    }
    return this.#connection;
  }

  override async releaseConnection(): Promise<void> {
    this.#turns.pass();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

/**
 * Turns at the one connection, first come first served. Kysely's lock wakes every waiter at each release and all but
 * one wait again: with thousands of queries waiting (thousands of tasks in flight), each release cost thousands of
 * wake-ups. Here a release wakes the next waiter only.
 */
class ConnectionQueue {
  #taken = false;
  readonly #waiting: (() => void)[] = [];

  async take(): Promise<void> {
    if (!this.#taken) {
      this.#taken = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Hands the connection to the next waiter, or frees it. */
  pass(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#taken = false;
  }
}

class BusyRetryingConnection implements DatabaseConnection {
  constructor(
    private readonly connection: DatabaseConnection,
    private readonly config: SharedFileSqliteDialectConfig,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Asked before running: a BUSY inside a transaction may roll it back, and then it would look like autocommit.
    const repeatable = !this.config.inTransaction() || /^\s*commit\b/i.test(query.sql);
    const deadline = performance.now() + this.config.busyRetryMs;
    for (;;) {
      try {
        return await this.connection.executeQuery<R>(query);
      } catch (error) {
        if (!repeatable || !isBusy(error) || performance.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * BUSY_RETRY_MAX_PAUSE_MS));
      }
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.connection.streamQuery<R>(query, chunkSize);
  }
}

/** `SQLITE_BUSY` and its extended codes (`SQLITE_BUSY_RECOVERY`, `SQLITE_BUSY_SNAPSHOT`, …). */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_"));
}
