import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // Each project's clusters as its seed last stated them, so a reset can put them back. No credentials: a reset
  // leaves those to the seed, which applies them at every start. A database seeded before this migration gets its
  // rows at the next start that applies a seed.
  await db.schema
    .createTable("project_seeds")
    .addColumn("project_id", "text", (c) => c.primaryKey().references("projects.id"))
    .addColumn("clusters", "text", (c) => c.notNull())
    .addColumn("recorded_at", "bigint", (c) => c.notNull())
    .execute();
}
