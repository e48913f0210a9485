import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Failed sign-ins, shared by every replica. Written only when a sign-in fails (and cleared by a later success).
  await db.schema
    .createTable("auth_failures")
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("failures", "integer", (c) => c.notNull())
    .addColumn("last_failure_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("auth_failures_pk", ["scope", "subject"])
    .execute();
  await db.schema.createIndex("auth_failures_by_expiry").on("auth_failures").column("expires_at").execute();
}
