import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** The project a token belongs to, if the token is known and has not expired at `nowMicros`. */
export async function projectOfToken(
  db: Kysely<Database>,
  tokenSha256: string,
  nowMicros: number,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("api_tokens")
    .select(["project_id", "expires_at"])
    .where("token_sha256", "=", tokenSha256)
    .executeTakeFirst();
  if (!row || (row.expires_at !== null && row.expires_at <= nowMicros)) return undefined;
  return row.project_id;
}
