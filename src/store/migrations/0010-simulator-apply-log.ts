import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // The simulated cluster itself: what each target runs, apart from our inventory, which only the engine writes.
  await db.schema
    .createTable("simulated_targets")
    .addColumn("cluster_id", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("simulated_targets_pk", ["cluster_id", "kind", "name"])
    .execute();
  // One row per apply call, changed or not: a count of these sees a repeated step, a count of changes cannot.
  await db.schema
    .createTable("simulator_apply_log")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("cluster_id", "text", (c) => c.notNull())
    .addColumn("task_id", "text", (c) => c.notNull())
    .addColumn("step_index", "integer", (c) => c.notNull())
    .addColumn("step_kind", "text", (c) => c.notNull())
    .addColumn("target", "text", (c) => c.notNull())
    .addColumn("run", "integer", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("from_version", "text", (c) => c.notNull())
    .addColumn("to_version", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("simulator_apply_log_by_task")
    .on("simulator_apply_log")
    .columns(["task_id", "step_kind", "target"])
    .execute();
  // The highest fencing token each task's workers showed the simulated cluster: an older worker's apply is refused.
  await db.schema
    .createTable("simulated_fences")
    .addColumn("task_id", "text", (c) => c.primaryKey())
    .addColumn("fence", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.dropTable("simulator_events").execute();
}
