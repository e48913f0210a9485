import type { Clock } from "../domain/clock.js";
import { lockSecondsLeft } from "../domain/failure-backoff.js";
import {
  clearFailures,
  deleteExpiredFailures,
  type FailureRow,
  type FailureSubject,
  readFailures,
  recordFailures,
} from "../store/auth-failure-queries.js";
import type { Store } from "../store/database.js";
import type { AuthLimits } from "./auth-limits.js";

/** Expired counts are deleted at most this often, by a process that is recording a failure anyway. */
const PRUNE_INTERVAL_MICROS = 60_000_000;

/** Failed sign-ins counted in the database, so every replica sees the same counts and locks. */
export class FailureCounters {
  #nextPruneMicros = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly policies: AuthLimits["failures"],
  ) {}

  /** Counts one failure for each subject; returns the counts as they are now. */
  async record(subjects: readonly FailureSubject[]): Promise<FailureRow[]> {
    const now = this.clock.nowMicros();
    if (now >= this.#nextPruneMicros) {
      this.#nextPruneMicros = now + PRUNE_INTERVAL_MICROS;
      await deleteExpiredFailures(this.store.db, now);
    }
    const expiring = subjects.map((s) => ({
      ...s,
      expiresAtMicros: now + this.policies[s.scope].forgetAfterMs * 1000,
    }));
    return recordFailures(this.store.db, expiring, now);
  }

  read(subjects: readonly FailureSubject[]): Promise<FailureRow[]> {
    return readFailures(this.store.db, subjects, this.clock.nowMicros());
  }

  clear(subject: FailureSubject): Promise<void> {
    return clearFailures(this.store.db, subject);
  }

  /** Whole seconds until none of these counts is locked any more; 0 when none is. */
  lockedSeconds(counts: readonly (FailureRow | undefined)[]): number {
    const now = this.clock.nowMicros();
    return Math.max(0, ...counts.map((c) => (c ? lockSecondsLeft(c, this.policies[c.scope], now) : 0)));
  }
}
