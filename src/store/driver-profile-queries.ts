import type { Kysely } from "kysely";
import type { DriverProfile } from "../domain/driver-config.js";
import type { Database } from "./schema.js";

/** The operator's profiles and which projects may use them, as a seed file states them. */
export interface DriverProfileGrants {
  readonly profiles: Readonly<Record<string, DriverProfile>>;
  readonly grants: readonly { readonly projectId: string; readonly profile: string }[];
}

/**
 * Makes the stored profiles exactly the seed's: a profile or a grant missing from it is gone. Run inside the seed's
 * transaction, so no reader sees a half-replaced set.
 */
export async function replaceDriverProfiles(db: Kysely<Database>, seed: DriverProfileGrants): Promise<void> {
  await db.deleteFrom("project_driver_profiles").execute();
  await db.deleteFrom("driver_profiles").execute();
  const profiles = Object.entries(seed.profiles).map(([name, config]) => ({ name, config: JSON.stringify(config) }));
  if (profiles.length > 0) await db.insertInto("driver_profiles").values(profiles).execute();
  const grants = seed.grants.map((grant) => ({ project_id: grant.projectId, profile: grant.profile }));
  if (grants.length > 0) await db.insertInto("project_driver_profiles").values(grants).execute();
}

/**
 * The profile when the project may use it, else undefined: a profile of another project and one that does not exist
 * are the same answer, so a tenant learns no other project's profile names.
 */
export async function findProjectProfile(
  db: Kysely<Database>,
  projectId: string,
  name: string,
): Promise<DriverProfile | undefined> {
  const row = await db
    .selectFrom("project_driver_profiles")
    .innerJoin("driver_profiles", "driver_profiles.name", "project_driver_profiles.profile")
    .select("driver_profiles.config")
    .where("project_driver_profiles.project_id", "=", projectId)
    .where("project_driver_profiles.profile", "=", name)
    .executeTakeFirst();
  return row && JSON.parse(row.config);
}
