import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.js";

/**
 * A kind of unit that a batch writes all at once: `writeAll` is given the batch's units of this kind in arrival order
 * and returns one value per unit, so a few statements serve them all instead of a few per unit.
 */
export interface MergedWrite<I, O> {
  writeAll(trx: Transaction<Database>, items: readonly I[]): Promise<O[]>;
}

type Work = (trx: Transaction<Database>) => Promise<unknown>;

/** Units of plain work: each runs its own statements. */
const EACH_ON_ITS_OWN: MergedWrite<Work, unknown> = {
  async writeAll(trx, works) {
    const values: unknown[] = [];
    for (const work of works) values.push(await work(trx));
    return values;
  },
};

interface Pending {
  readonly kind: MergedWrite<unknown, unknown>;
  readonly item: unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: units of work that arrive while a transaction is being written are written together in the next one,
 * so one durable commit (one fsync) serves many of them. A unit's promise settles only after the transaction holding
 * it has committed. A unit that throws rolls its batch back; the others are then written one by one. So a unit may run
 * more than once: it must act only through the transaction it is given. Units of a batch are concurrent (none was
 * settled when another was queued), so kinds are written one after another, each kind's units together.
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
    return this.runMerged(EACH_ON_ITS_OWN as MergedWrite<Work, T>, work);
  }

  /** Writes `item` in a shared transaction together with the batch's other units of `kind`. */
  runMerged<I, O>(kind: MergedWrite<I, O>, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({
        kind: kind as MergedWrite<unknown, unknown>,
        item,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      if (this.#flushers < this.writers) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushers += 1;
    try {
      while (this.#queue.length > 0) {
        // Let the work already on its way (other tasks' steps) join this commit.
        await new Promise((resolve) => setImmediate(resolve));
        // Another writer may have taken everything meanwhile: an empty transaction would cost two round trips.
        const batch = this.#queue.splice(0, this.maxBatch);
        if (batch.length > 0) await this.#writeBatch(batch);
      }
    } finally {
      this.#flushers -= 1;
    }
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    const values = new Map<Pending, unknown>();
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const units of byKind(batch)) {
          const written = await units[0].kind.writeAll(
            trx,
            units.map((unit) => unit.item),
          );
          for (const [i, unit] of units.entries()) values.set(unit, written[i]);
        }
      });
    } catch {
      // Rare (a unit's own error): the whole batch rolled back, so each unit runs again alone and fails alone.
      for (const unit of batch) await this.#writeAlone(unit);
      return;
    }
    for (const unit of batch) unit.resolve(values.get(unit));
  }

  async #writeAlone(unit: Pending): Promise<void> {
    try {
      const [value] = await this.db.transaction().execute((trx) => unit.kind.writeAll(trx, [unit.item]));
      unit.resolve(value);
    } catch (error) {
      unit.reject(error);
    }
  }
}

/** The batch's units grouped by kind, kinds in the order their first unit arrived. */
function byKind(batch: readonly Pending[]): [Pending, ...Pending[]][] {
  const groups = new Map<MergedWrite<unknown, unknown>, [Pending, ...Pending[]]>();
  for (const unit of batch) {
    const group = groups.get(unit.kind);
    if (group) group.push(unit);
    else groups.set(unit.kind, [unit]);
  }
  return [...groups.values()];
}
