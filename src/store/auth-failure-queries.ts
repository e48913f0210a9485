import type { Kysely } from "kysely";
import type { FailureCount } from "../domain/failure-backoff.js";
import type { Database } from "./schema.js";

/** What a count of failed sign-ins is about. */
export type FailureScope = "signature-key" | "signature-address" | "password-user" | "password-address";

/** One counted subject: an access key at an address, a user name, or an address. */
export interface FailureSubject {
  readonly scope: FailureScope;
  readonly subject: string;
}

export type FailureRow = FailureSubject & FailureCount;

/**
 * Adds one failure to each subject in one statement, so concurrent replicas never lose a count. A count whose
 * `expires_at` has passed starts again at one; each subject then expires at its given time.
 */
export async function recordFailures(
  db: Kysely<Database>,
  failures: readonly (FailureSubject & { readonly expiresAtMicros: number })[],
  nowMicros: number,
): Promise<FailureRow[]> {
  const rows = await db
    .insertInto("auth_failures")
    .values(
      failures.map((f) => ({
        scope: f.scope,
        subject: f.subject,
        failures: 1,
        last_failure_at: nowMicros,
        expires_at: f.expiresAtMicros,
      })),
    )
    .onConflict((conflict) =>
      conflict.columns(["scope", "subject"]).doUpdateSet((eb) => ({
        failures: eb
          .case()
          .when("auth_failures.expires_at", "<=", eb.ref("excluded.last_failure_at"))
          .then(1)
          .else(eb("auth_failures.failures", "+", 1))
          .end(),
        last_failure_at: eb.ref("excluded.last_failure_at"),
        expires_at: eb.ref("excluded.expires_at"),
      })),
    )
    .returning(["scope", "subject", "failures", "last_failure_at"])
    .execute();
  return rows.map(toFailureRow);
}

/** The counts of the subjects that have one; expired counts are left out. */
export async function readFailures(
  db: Kysely<Database>,
  subjects: readonly FailureSubject[],
  nowMicros: number,
): Promise<FailureRow[]> {
  const rows = await db
    .selectFrom("auth_failures")
    .select(["scope", "subject", "failures", "last_failure_at"])
    .where((eb) =>
      eb.and([
        eb.or(subjects.map((s) => eb.and([eb("scope", "=", s.scope), eb("subject", "=", s.subject)]))),
        eb("expires_at", ">", nowMicros),
      ]),
    )
    .execute();
  return rows.map(toFailureRow);
}

/** Forgets a subject's count (after a successful sign-in). */
export async function clearFailures(db: Kysely<Database>, subject: FailureSubject): Promise<void> {
  await db
    .deleteFrom("auth_failures")
    .where("scope", "=", subject.scope)
    .where("subject", "=", subject.subject)
    .execute();
}

/** Deletes the counts nobody would read any more. */
export async function deleteExpiredFailures(db: Kysely<Database>, nowMicros: number): Promise<void> {
  await db.deleteFrom("auth_failures").where("expires_at", "<=", nowMicros).execute();
}

function toFailureRow(row: { scope: string; subject: string; failures: number; last_failure_at: number }): FailureRow {
  return {
    scope: row.scope as FailureScope,
    subject: row.subject,
    failures: row.failures,
    lastFailureAtMicros: row.last_failure_at,
  };
}
