import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("precheck_tasks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
    .addColumn("cluster_id", "text", (c) => c.notNull().references("clusters.id"))
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("cluster_version", "text", (c) => c.notNull())
    .addColumn("target_version", "text", (c) => c.notNull())
    .addColumn("skipped_items", "text", (c) => c.notNull())
    .addColumn("result", "text")
    .addColumn("message", "text")
    .addColumn("fence", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("due_at", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("completed_at", "bigint")
    .addColumn("expires_at", "bigint")
    .execute();
  await db.schema
    .createIndex("precheck_tasks_by_cluster")
    .on("precheck_tasks")
    .columns(["cluster_id", "created_at"])
    .execute();
  await sql`create index precheck_tasks_due on precheck_tasks (due_at) where phase in ('Init', 'Running')`.execute(db);

  await db.schema
    .createTable("snapshot_tasks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("item_id", "text", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
    .addColumn("cluster_id", "text", (c) => c.notNull().references("clusters.id"))
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("message", "text")
    .addColumn("fence", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("due_at", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("completed_at", "bigint")
    .execute();
  await db.schema
    .createIndex("snapshot_tasks_by_cluster")
    .on("snapshot_tasks")
    .columns(["cluster_id", "created_at"])
    .execute();
  // One backup at a time per cluster, enforced by the database as for upgrades.
  await sql`create unique index snapshot_tasks_one_active_per_cluster on snapshot_tasks (cluster_id)
    where phase in ('Init', 'Running')`.execute(db);
  await sql`create index snapshot_tasks_due on snapshot_tasks (due_at) where phase in ('Init', 'Running')`.execute(db);

  await db.schema
    .createTable("postcheck_tasks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
    .addColumn("cluster_id", "text", (c) => c.notNull().references("clusters.id"))
    .addColumn("cluster_version", "text", (c) => c.notNull())
    .addColumn("target_version", "text", (c) => c.notNull())
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("message", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("postcheck_tasks_by_cluster")
    .on("postcheck_tasks")
    .columns(["cluster_id", "created_at"])
    .execute();

  await db.schema
    .createTable("upgrade_workflows")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
    .addColumn("cluster_id", "text", (c) => c.notNull().references("clusters.id"))
    .addColumn("cluster_version", "text", (c) => c.notNull())
    .addColumn("target_version", "text", (c) => c.notNull())
    .addColumn("cancelled_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("upgrade_workflows_by_cluster")
    .on("upgrade_workflows")
    .columns(["cluster_id", "created_at"])
    .execute();

  await db.schema
    .createTable("cluster_deprecated_apis")
    .addColumn("cluster_id", "text", (c) => c.notNull().references("clusters.id"))
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("user_agent", "text", (c) => c.notNull())
    .addColumn("removed_in", "text")
    .addPrimaryKeyConstraint("cluster_deprecated_apis_pk", ["cluster_id", "url", "user_agent"])
    .execute();
}
