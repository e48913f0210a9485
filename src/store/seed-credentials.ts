import type { Kysely } from "kysely";
import { hashPassword, sha256Hex, verifyPassword } from "./passwords.js";
import type { Database } from "./schema.js";
import type { SeedFile } from "./seed-file.js";

type ProjectSeed = SeedFile["projects"][number];

/** A user the seed adds, or whose password it changes: the new hash, and the stored one it replaces (null: none). */
export interface PasswordChange {
  readonly projectId: string;
  readonly name: string;
  readonly previousHash: string | null;
  readonly hash: string;
}

/**
 * The hashes to write for new users and changed passwords. Hashing is slow (scrypt), so it is done here, before the
 * write transaction; a password that verifies against its stored hash is unchanged and keeps its hash.
 */
export async function passwordChanges(db: Kysely<Database>, seed: SeedFile): Promise<PasswordChange[]> {
  const projectIds = seed.projects.map((project) => project.id);
  const stored =
    projectIds.length === 0
      ? []
      : await db
          .selectFrom("iam_users")
          .select(["project_id", "name", "password_hash"])
          .where("project_id", "in", projectIds)
          .execute();
  const hashes = new Map(stored.map((row) => [`${row.project_id}/${row.name}`, row.password_hash]));
  const changes = await Promise.all(
    seed.projects.flatMap((project) =>
      (project.users ?? []).map(async ({ name, password }): Promise<PasswordChange | undefined> => {
        const previousHash = hashes.get(`${project.id}/${name}`) ?? null;
        if (previousHash !== null && (await verifyPassword(password, previousHash))) return undefined;
        return { projectId: project.id, name, previousHash, hash: await hashPassword(password) };
      }),
    ),
  );
  return changes.filter((change) => change !== undefined);
}

/**
 * Makes a seeded project's credentials exactly the seed's: tokens, access keys and users missing from it are deleted,
 * a changed SK or password replaces the old one. Tokens issued by `POST /v3/auth/tokens` do not record their user, so
 * when a user goes or a password changes, every token issued for the project goes too.
 */
export async function syncCredentials(
  db: Kysely<Database>,
  project: ProjectSeed,
  changes: PasswordChange[],
  nowMicros: number,
): Promise<void> {
  await syncTokens(db, project, nowMicros);
  await syncAccessKeys(db, project, nowMicros);
  if (await syncUsers(db, project, changes, nowMicros)) {
    await db
      .deleteFrom("api_tokens")
      .where("project_id", "=", project.id)
      .where("expires_at", "is not", null)
      .execute();
  }
}

async function syncTokens(db: Kysely<Database>, project: ProjectSeed, nowMicros: number): Promise<void> {
  const hashes = (project.tokens ?? []).map(sha256Hex);
  let removed = db.deleteFrom("api_tokens").where("project_id", "=", project.id).where("expires_at", "is", null);
  if (hashes.length > 0) removed = removed.where("token_sha256", "not in", hashes);
  await removed.execute();
  for (const hash of hashes) {
    await db
      .insertInto("api_tokens")
      .values({ token_sha256: hash, project_id: project.id, expires_at: null, created_at: nowMicros })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

async function syncAccessKeys(db: Kysely<Database>, project: ProjectSeed, nowMicros: number): Promise<void> {
  const keys = project.accessKeys ?? [];
  let removed = db.deleteFrom("access_keys").where("project_id", "=", project.id);
  if (keys.length > 0)
    removed = removed.where(
      "access_key",
      "not in",
      keys.map((key) => key.ak),
    );
  await removed.execute();
  for (const key of keys) {
    const secret = { secret_key: key.sk, security_token: key.securityToken ?? null };
    await db
      .insertInto("access_keys")
      .values({ access_key: key.ak, project_id: project.id, ...secret, created_at: nowMicros })
      .onConflict((oc) => oc.column("access_key").doUpdateSet(secret))
      .execute();
  }
}

/** True when a user was removed or a password changed, i.e. the project's issued tokens must go. */
async function syncUsers(
  db: Kysely<Database>,
  project: ProjectSeed,
  changes: PasswordChange[],
  nowMicros: number,
): Promise<boolean> {
  const names = (project.users ?? []).map((user) => user.name);
  let removed = db.deleteFrom("iam_users").where("project_id", "=", project.id);
  if (names.length > 0) removed = removed.where("name", "not in", names);
  let revoke = (await removed.executeTakeFirst()).numDeletedRows > 0n;
  for (const change of changes.filter((c) => c.projectId === project.id)) {
    if (change.previousHash === null) {
      await db
        .insertInto("iam_users")
        .values({ project_id: project.id, name: change.name, password_hash: change.hash, created_at: nowMicros })
        .onConflict((oc) => oc.doNothing())
        .execute();
      continue;
    }
    // Only over the hash that was checked: a process that applied the same seed meanwhile has already replaced it.
    const replaced = await db
      .updateTable("iam_users")
      .set({ password_hash: change.hash })
      .where("project_id", "=", project.id)
      .where("name", "=", change.name)
      .where("password_hash", "=", change.previousHash)
      .executeTakeFirst();
    if (replaced.numUpdatedRows > 0n) revoke = true;
  }
  return revoke;
}
