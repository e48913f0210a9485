import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // The control plane moves to the target before the nodes; spec.version changes when the whole upgrade succeeds.
  await db.schema.alterTable("clusters").addColumn("control_plane_version", "text").execute();
  await db.schema.alterTable("clusters").addColumn("status_reason", "text").execute();

  await db.schema
    .createTable("cluster_faults")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("cluster_id", "text", (c) => c.notNull().references("clusters.id"))
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("target", "text")
    .addColumn("mode", "text", (c) => c.notNull())
    .addColumn("remaining", "integer", (c) => c.notNull())
    .addColumn("error_code", "text", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("retryable", "integer", (c) => c.notNull())
    .addColumn("stall_ms", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("cluster_faults_by_cluster")
    .on("cluster_faults")
    .columns(["cluster_id", "step"])
    .execute();

  await db.schema
    .createTable("simulator_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("cluster_id", "text", (c) => c.notNull())
    .addColumn("task_id", "text", (c) => c.notNull())
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("target", "text", (c) => c.notNull())
    .addColumn("from_version", "text", (c) => c.notNull())
    .addColumn("to_version", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("simulator_events_by_task")
    .on("simulator_events")
    .columns(["task_id", "step", "target"])
    .execute();
}
