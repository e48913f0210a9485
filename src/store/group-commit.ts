import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.js";

interface Pending {
  readonly work: (trx: Transaction<Database>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: units of work that arrive while a transaction is being written are written together in the next one,
 * so one durable commit (one fsync) serves many of them. A unit's promise settles only after the transaction holding
 * it has committed. A unit that throws rolls its batch back; the others are then written one by one. So a unit may run
 * more than once: it must act only through the transaction it is given.
 */
export class GroupCommitter {
  readonly #queue: Pending[] = [];
  #flushers = 0;

  /** `writers`: transactions written at once (SQLite has one writer; PostgreSQL gains from a few connections). */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly writers = 1,
    private readonly maxBatch = 512,
  ) {}

  /** Runs `work` in a shared transaction; it must use only the transaction it is given. */
  run<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#flushers < this.writers) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushers += 1;
    try {
      while (this.#queue.length > 0) {
        // Let the work already on its way (other tasks' steps) join this commit.
        await new Promise((resolve) => setImmediate(resolve));
        await this.#writeBatch(this.#queue.splice(0, this.maxBatch));
      }
    } finally {
      this.#flushers -= 1;
    }
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    const values: unknown[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const item of batch) values.push(await item.work(trx));
      });
    } catch {
      // Rare (a unit's own error): the whole batch rolled back, so each unit runs again alone and fails alone.
      for (const item of batch) await this.#writeAlone(item);
      return;
    }
    batch.forEach((item, i) => {
      item.resolve(values[i]);
    });
  }

  async #writeAlone(item: Pending): Promise<void> {
    try {
      item.resolve(await this.db.transaction().execute((trx) => item.work(trx)));
    } catch (error) {
      item.reject(error);
    }
  }
}
