import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // The driver choice a task runs, copied from cluster_drivers when the task is created, so a later change of the
  // cluster's driver cannot reach a task already under way. Null only in rows an older replica inserts.
  await db.schema.alterTable("upgrade_tasks").addColumn("driver", "text").execute();
  await sql`update upgrade_tasks set driver = coalesce(
    (select config from cluster_drivers where cluster_drivers.cluster_id = upgrade_tasks.cluster_id),
    '{"type":"simulator"}')`.execute(db);
}
