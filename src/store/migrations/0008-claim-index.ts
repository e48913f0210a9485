import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Made for the engine's claim, which walks runnable tasks oldest first and names these phases as literals: a partial
  // index matches only a query whose predicate repeats it, and on SQLite a bound `phase in (?, ?, ?)` never does.
  await sql`create index upgrade_tasks_claim on upgrade_tasks (created_at)
    where phase in ('Init', 'Queuing', 'Running')`.execute(db);
  // Its predecessor ordered by lease expiry, which the claim never did.
  await sql`drop index upgrade_tasks_runnable`.execute(db);
}
