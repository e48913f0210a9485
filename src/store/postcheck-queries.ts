import type { Insertable, Kysely } from "kysely";
import type { Database, PostcheckTasksTable } from "./schema.js";

export async function insertPostcheckTask(db: Kysely<Database>, task: Insertable<PostcheckTasksTable>): Promise<void> {
  await db.insertInto("postcheck_tasks").values(task).execute();
}
