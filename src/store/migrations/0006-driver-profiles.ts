import { type Kysely, sql } from "kysely";

/** The only driver a tenant could write that stays: everything else was an inline hook (a command or a URL). */
const SIMULATOR_JSON = JSON.stringify({ type: "simulator" });

export async function up(db: Kysely<unknown>): Promise<void> {
  // The operator's profiles, replaced from the seed file at every start.
  await db.schema
    .createTable("driver_profiles")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("config", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("project_driver_profiles")
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
    .addColumn("profile", "text", (c) => c.notNull().references("driver_profiles.name"))
    .addPrimaryKeyConstraint("project_driver_profiles_pk", ["project_id", "profile"])
    .execute();
  // Inline hooks came from tenants: none of them may run again, so their clusters go back to the simulator.
  await sql`update cluster_drivers set config = ${SIMULATOR_JSON} where config <> ${SIMULATOR_JSON}`.execute(db);
}
