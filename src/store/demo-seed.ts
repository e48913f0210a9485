import { readFile } from "node:fs/promises";
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import { parseSeed, type SeedFile } from "./seed-file.js";

const DEMO_SEED_URL = new URL("./demo-seed.json", import.meta.url);

/** The demo project a first start on an empty database is seeded with. */
export async function readDemoSeed(): Promise<SeedFile> {
  return parseSeed(JSON.parse(await readFile(DEMO_SEED_URL, "utf8")), "demo seed");
}

/** True when the database holds no project at all. */
export async function isEmpty(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom("projects").select("id").limit(1).executeTakeFirst()) === undefined;
}

/** True when the demo project is in the database, so its credentials can be shown. */
export async function hasProject(db: Kysely<Database>, projectId: string): Promise<boolean> {
  return (await db.selectFrom("projects").select("id").where("id", "=", projectId).executeTakeFirst()) !== undefined;
}
