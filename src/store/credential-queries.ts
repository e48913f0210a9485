import type { Kysely, Selectable } from "kysely";
import type { AccessKeysTable, Database, IamUsersTable } from "./schema.js";

/** A stored token: the project it acts for and when it stops working (null: never). */
export interface TokenGrant {
  readonly projectId: string;
  readonly expiresAt: number | null;
}

/** The grant of a token, looked up by its hash; undefined when the token was never issued. */
export async function findTokenGrant(db: Kysely<Database>, tokenSha256: string): Promise<TokenGrant | undefined> {
  const row = await db
    .selectFrom("api_tokens")
    .select(["project_id", "expires_at"])
    .where("token_sha256", "=", tokenSha256)
    .executeTakeFirst();
  return row && { projectId: row.project_id, expiresAt: row.expires_at };
}

/** Records an issued token by its hash. */
export async function insertApiToken(
  db: Kysely<Database>,
  tokenSha256: string,
  projectId: string,
  expiresAtMicros: number,
  nowMicros: number,
): Promise<void> {
  await db
    .insertInto("api_tokens")
    .values({ token_sha256: tokenSha256, project_id: projectId, expires_at: expiresAtMicros, created_at: nowMicros })
    .execute();
}

export type AccessKeyRow = Selectable<AccessKeysTable>;

/** An access key with its secret, or undefined. */
export function findAccessKey(db: Kysely<Database>, accessKey: string): Promise<AccessKeyRow | undefined> {
  return db.selectFrom("access_keys").selectAll().where("access_key", "=", accessKey).executeTakeFirst();
}

export type IamUserRow = Selectable<IamUsersTable> & { project_name: string };

/** The IAM users of that name, with their projects' names (a name may exist in several projects). */
export function findIamUsers(db: Kysely<Database>, name: string): Promise<IamUserRow[]> {
  return db
    .selectFrom("iam_users")
    .innerJoin("projects", "projects.id", "iam_users.project_id")
    .selectAll("iam_users")
    .select("projects.name as project_name")
    .where("iam_users.name", "=", name)
    .execute();
}
