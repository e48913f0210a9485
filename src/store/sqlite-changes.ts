import type SqliteDatabase from "better-sqlite3";
import type { SqliteStatement } from "kysely";
import type { TaskChanges } from "./task-changes.js";

/**
 * What tells a reader of one SQLite connection that the database may have changed since it last looked: a count of
 * this process's write statements, bumped before each runs (every statement goes through `prepare`, and the one
 * connection runs a transaction's statements with nothing in between), and SQLite's `data_version`, which moves when
 * another connection (another process) commits. Nothing is announced per task: the mark covers every change.
 */
export class SqliteChanges implements TaskChanges {
  readonly listening = true;
  #writes = 0;
  readonly #dataVersion: SqliteDatabase.Statement<[], number>;

  constructor(sqlite: SqliteDatabase.Database) {
    // Prepared once: `pragma()` would prepare it on every look.
    this.#dataVersion = sqlite.prepare<[], number>("pragma data_version").pluck();
  }

  /** Changes whenever the database may have: compare two marks to know whether anything was written between them. */
  mark(): string {
    return `${this.#writes}:${this.#dataVersion.get()}`;
  }

  onChange(): () => void {
    return () => {};
  }

  /** A statement as Kysely runs it, counted as a write unless SQLite says it only reads. */
  watch(statement: SqliteDatabase.Statement): SqliteStatement {
    if (statement.readonly) return statement;
    const counted = <T>(run: () => T): T => {
      this.#writes += 1;
      return run();
    };
    return {
      reader: statement.reader,
      all: (parameters: readonly unknown[]) => counted(() => statement.all(parameters)),
      run: (parameters: readonly unknown[]) => counted(() => statement.run(parameters)),
      iterate: (parameters: readonly unknown[]) => counted(() => statement.iterate(parameters)),
    };
  }
}
