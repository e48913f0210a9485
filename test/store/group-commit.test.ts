import SqliteDatabase from "better-sqlite3";
import { type DatabaseConnection, type Dialect, type Driver, Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/database.js";
import { GroupCommitter, type MergedWrite } from "../../src/store/group-commit.js";
import type { Database } from "../../src/store/schema.js";
import { applySeed } from "../../src/store/seed-file.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import { CLUSTER, ManualClock, testSeed } from "../support/fixtures.js";

/**
 * What the database was sent, transaction by transaction: a driver wrapped to note each statement on the connection
 * that ran it, and each COMMIT and ROLLBACK with the statements of its transaction.
 */
class TransactionRecorder {
  readonly committed: string[][] = [];
  rollbacks = 0;
  readonly #open = new Map<DatabaseConnection, string[]>();
  readonly #watched = new WeakSet<DatabaseConnection>();

  wrap(inner: Dialect): Dialect {
    return {
      createAdapter: () => inner.createAdapter(),
      createQueryCompiler: () => inner.createQueryCompiler(),
      createIntrospector: (db) => inner.createIntrospector(db),
      createDriver: () => this.#wrapDriver(inner.createDriver()),
    };
  }

  /** Statements of committed transactions that change rows, one list per commit. */
  writesPerCommit(): string[][] {
    return this.committed.map((statements) => statements.filter((sql) => /^update/i.test(sql)));
  }

  #wrapDriver(driver: Driver): Driver {
    return {
      init: () => driver.init(),
      acquireConnection: async () => this.#watch(await driver.acquireConnection()),
      beginTransaction: async (connection, settings) => {
        await driver.beginTransaction(connection, settings);
        this.#open.set(connection, []);
      },
      commitTransaction: async (connection) => {
        const statements = this.#open.get(connection) ?? [];
        this.#open.delete(connection);
        await driver.commitTransaction(connection);
        this.committed.push(statements);
      },
      rollbackTransaction: async (connection) => {
        this.#open.delete(connection);
        await driver.rollbackTransaction(connection);
        this.rollbacks += 1;
      },
      releaseConnection: (connection) => driver.releaseConnection(connection),
      destroy: () => driver.destroy(),
    };
  }

  #watch(connection: DatabaseConnection): DatabaseConnection {
    if (this.#watched.has(connection)) return connection;
    this.#watched.add(connection);
    const execute = connection.executeQuery.bind(connection);
    connection.executeQuery = (query) => {
      this.#open.get(connection)?.push(query.sql);
      return execute(query);
    };
    return connection;
  }
}

/** A second, recording connection to the store's database. */
function recordedDatabase(store: Store & { url: string }, recorder: TransactionRecorder): Kysely<Database> {
  if (store.dialect === "sqlite") {
    const database = new SqliteDatabase(store.url.slice("sqlite:".length));
    database.pragma("busy_timeout = 5000");
    return new Kysely<Database>({ dialect: recorder.wrap(new SqliteDialect({ database })) });
  }
  const url = new URL(store.url);
  url.searchParams.delete("schema");
  const pool = new pg.Pool({ connectionString: url.toString(), options: `-c search_path=${store.schema}` });
  return new Kysely<Database>({ dialect: recorder.wrap(new PostgresDialect({ pool })) });
}

describe.each(DIALECTS)("group commit on %s", (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let recorder: TransactionRecorder;
  let recorded: Kysely<Database>;
  beforeEach(async () => {
    store = await freshStore(dialect);
    await applySeed(store, testSeed(), new ManualClock());
    recorder = new TransactionRecorder();
    recorded = recordedDatabase(store, recorder);
  });
  afterEach(async () => {
    await recorded.destroy();
    await store.close();
  });

  const setDescription = (committer: GroupCommitter, text: string) =>
    committer.run((trx) => trx.updateTable("clusters").set({ description: text }).where("id", "=", CLUSTER).execute());

  /** Starts 50 units at once; each resolves with its index and notes how many commits there were when it settled. */
  async function fiftyUnits(committer: GroupCommitter) {
    const commitsWhenSettled: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        committer
          .run(async (trx) => {
            await trx
              .updateTable("clusters")
              .set({ description: `d${i}` })
              .where("id", "=", CLUSTER)
              .execute();
            return i;
          })
          .then((value) => {
            commitsWhenSettled.push(recorder.committed.length);
            return value;
          }),
      ),
    );
    return { results, commitsWhenSettled };
  }

  it("writes concurrent units in one transaction, one commit for all, and settles each after that commit", async () => {
    const { results, commitsWhenSettled } = await fiftyUnits(new GroupCommitter(recorded));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(recorder.writesPerCommit().map((writes) => writes.length)).toEqual([50]);
    expect(commitsWhenSettled).toEqual(Array(50).fill(1));
    const row = await store.db
      .selectFrom("clusters")
      .select("description")
      .where("id", "=", CLUSTER)
      .executeTakeFirst();
    expect(row?.description).toBe("d49");
  });

  it("shares one commit between the units with several writers too (PostgreSQL's four)", async () => {
    await fiftyUnits(new GroupCommitter(recorded, 4));
    expect(recorder.writesPerCommit().filter((writes) => writes.length > 0)).toEqual([
      Array(50).fill(expect.stringMatching(/^update/i)),
    ]);
  });

  it("counts one commit per unit when batching is off (batches of 1), so the counts above can fail", async () => {
    await fiftyUnits(new GroupCommitter(recorded, 1, 1));
    expect(recorder.writesPerCommit()).toEqual(Array(50).fill([expect.stringMatching(/^update/i)]));
  });

  it("rolls back only the unit that failed: the others in its batch are written, each alone", async () => {
    const committer = new GroupCommitter(recorded);
    const failing = committer.run(async (trx) => {
      await trx.updateTable("clusters").set({ name: "half-written" }).where("id", "=", CLUSTER).execute();
      throw new Error("unit failed");
    });
    const [before, after] = [setDescription(committer, "before"), setDescription(committer, "after")];
    await expect(failing).rejects.toThrow("unit failed");
    await Promise.all([before, after]);
    // The batch of three rolled back, then each unit ran alone: the failing one rolled back again.
    expect(recorder.rollbacks).toBe(2);
    expect(recorder.writesPerCommit().map((writes) => writes.length)).toEqual([1, 1]);
    const row = await store.db.selectFrom("clusters").selectAll().where("id", "=", CLUSTER).executeTakeFirstOrThrow();
    expect(row.name).toBe("prod-a");
    expect(row.description).toBe("after");
  });
  /** A merged kind that sets each cluster's description in one statement per call, noting the items of each call. */
  function describeClusters(calls: string[][], failOn?: string): MergedWrite<string, string> {
    return {
      async writeAll(trx, texts) {
        calls.push([...texts]);
        if (failOn !== undefined && texts.includes(failOn)) throw new Error(`failed on ${failOn}`);
        await trx
          .updateTable("clusters")
          .set({ description: texts.join(",") })
          .where("id", "=", CLUSTER)
          .execute();
        return texts.map((text) => `wrote ${text}`);
      },
    };
  }

  it("hands a batch's units of one kind to one call, in arrival order, beside the plain units", async () => {
    const committer = new GroupCommitter(recorded, 4);
    const calls: string[][] = [];
    const kind = describeClusters(calls);
    const results = await Promise.all([
      committer.runMerged(kind, "a"),
      setDescription(committer, "plain").then(() => "plain"),
      committer.runMerged(kind, "b"),
      committer.runMerged(kind, "c"),
    ]);
    expect(results).toEqual(["wrote a", "plain", "wrote b", "wrote c"]);
    expect(calls).toEqual([["a", "b", "c"]]);
    expect(recorder.writesPerCommit().filter((writes) => writes.length > 0)).toEqual([
      [expect.stringMatching(/^update/i), expect.stringMatching(/^update/i)],
    ]);
  });

  it("writes each unit of a merged call that failed alone: only the failing unit fails", async () => {
    const committer = new GroupCommitter(recorded);
    const calls: string[][] = [];
    const kind = describeClusters(calls, "bad");
    const settled = await Promise.allSettled(["a", "bad", "c"].map((text) => committer.runMerged(kind, text)));
    expect(settled.map((s) => (s.status === "fulfilled" ? s.value : String(s.reason)))).toEqual([
      "wrote a",
      "Error: failed on bad",
      "wrote c",
    ]);
    expect(calls).toEqual([["a", "bad", "c"], ["a"], ["bad"], ["c"]]);
    const row = await store.db
      .selectFrom("clusters")
      .select("description")
      .where("id", "=", CLUSTER)
      .executeTakeFirst();
    expect(row?.description).toBe("c");
  });
});
