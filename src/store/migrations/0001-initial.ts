import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("projects")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("api_tokens")
    .addColumn("token_sha256", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
    .addColumn("expires_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("access_keys")
    .addColumn("access_key", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
    .addColumn("secret_key", "text", (c) => c.notNull())
    .addColumn("security_token", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("clusters")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("platform_version", "text", (c) => c.notNull())
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("flavor", "text", (c) => c.notNull())
    .addColumn("cluster_type", "text", (c) => c.notNull())
    .addColumn("category", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("clusters_project_name", ["project_id", "name"])
    .execute();

  await db.schema
    .createTable("node_pools")
    .addColumn("cluster_id", "text", (c) => c.notNull().references("clusters.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("node_pools_pk", ["cluster_id", "id"])
    .execute();

  await db.schema
    .createTable("nodes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("cluster_id", "text", (c) => c.notNull().references("clusters.id"))
    .addColumn("pool_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("labels", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addForeignKeyConstraint("nodes_pool_fk", ["cluster_id", "pool_id"], "node_pools", ["cluster_id", "id"])
    .execute();
  await db.schema.createIndex("nodes_by_cluster").on("nodes").columns(["cluster_id", "pool_id", "name"]).execute();

  await db.schema
    .createTable("addons")
    .addColumn("cluster_id", "text", (c) => c.notNull().references("clusters.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("addons_pk", ["cluster_id", "name"])
    .execute();

  await db.schema
    .createTable("upgrade_tasks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
    .addColumn("cluster_id", "text", (c) => c.notNull().references("clusters.id"))
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("from_version", "text", (c) => c.notNull())
    .addColumn("target_version", "text", (c) => c.notNull())
    .addColumn("target_platform_version", "text", (c) => c.notNull())
    .addColumn("request", "text", (c) => c.notNull())
    .addColumn("plan", "text")
    .addColumn("step_cursor", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("progress", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("failure_reason", "text")
    .addColumn("requested_control", "text")
    .addColumn("lease_owner", "text")
    .addColumn("lease_expires_at", "bigint")
    .addColumn("fence", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("completed_at", "bigint")
    .execute();
  await db.schema
    .createIndex("upgrade_tasks_by_cluster")
    .on("upgrade_tasks")
    .columns(["cluster_id", "created_at"])
    .execute();
  // One active upgrade per cluster, enforced by the database itself (a concurrent insert fails, not a read-then-write).
  await sql`create unique index upgrade_tasks_one_active_per_cluster on upgrade_tasks (cluster_id)
    where phase in ('Init', 'Queuing', 'Running', 'Pause', 'Failed')`.execute(db);
  // Made for the engine's claim: runnable tasks by lease expiry.
  await sql`create index upgrade_tasks_runnable on upgrade_tasks (lease_expires_at)
    where phase in ('Init', 'Queuing', 'Running')`.execute(db);
}
