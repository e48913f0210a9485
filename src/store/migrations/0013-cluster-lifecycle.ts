import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // What CreateCluster and CreateNodePool accepted beyond the columns (networks, node template, ...), as JSON; null
  // in a seeded row, whose documents show the defaults they always showed.
  await db.schema.alterTable("clusters").addColumn("spec", "text").execute();
  await db.schema.alterTable("clusters").addColumn("job_id", "text").execute();
  await db.schema.alterTable("node_pools").addColumn("spec", "text").execute();
  await db.schema.alterTable("node_pools").addColumn("job_id", "text").execute();
  await db.schema
    .alterTable("node_pools")
    .addColumn("phase", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  await db.schema.alterTable("nodes").addColumn("job_id", "text").execute();

  // A job of the cluster lifecycle (ShowJob). No foreign key to clusters: the job of a deletion outlives its cluster.
  await db.schema
    .createTable("cluster_jobs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
    .addColumn("cluster_id", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("resource_name", "text", (c) => c.notNull())
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("fence", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("due_at", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("completed_at", "bigint")
    .execute();
  await db.schema.createIndex("cluster_jobs_due").on("cluster_jobs").columns(["phase", "due_at"]).execute();
  await db.schema.createIndex("cluster_jobs_by_cluster").on("cluster_jobs").columns(["cluster_id"]).execute();
}
