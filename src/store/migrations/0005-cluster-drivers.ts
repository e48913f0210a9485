import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // A cluster without a row here runs on the simulator.
  await db.schema
    .createTable("cluster_drivers")
    .addColumn("cluster_id", "text", (c) => c.primaryKey().references("clusters.id"))
    .addColumn("config", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
}
