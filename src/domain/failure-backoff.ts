/**
 * How failed sign-ins slow down the next attempts: free up to a count, then locked for a time that doubles with each
 * further failure. The lock runs from the last failure, so a count in a store is all it takes to decide.
 */
export interface FailureBackoff {
  /** Failures after which the lock starts (the lock follows the last of them). */
  readonly lockAfterFailures: number;
  /** The first lock; each later failure doubles it, up to `maxLockMs`. */
  readonly firstLockMs: number;
  readonly maxLockMs: number;
  /** A count whose last failure is this old starts again from zero; at least `maxLockMs`. */
  readonly forgetAfterMs: number;
}

/** Failures of one subject (a user, an address, an access key at an address) and when the last one was. */
export interface FailureCount {
  readonly failures: number;
  readonly lastFailureAtMicros: number;
}

/** Whole seconds until the lock that `count` earns is over (at least 1 while it lasts), 0 when there is none. */
export function lockSecondsLeft(count: FailureCount, policy: FailureBackoff, nowMicros: number): number {
  if (count.failures < policy.lockAfterFailures) return 0;
  // Past 2^40 the cap has long applied; the exponent is bounded so the product stays finite.
  const doublings = Math.min(count.failures - policy.lockAfterFailures, 40);
  const lockMs = Math.min(policy.firstLockMs * 2 ** doublings, policy.maxLockMs);
  const leftMicros = count.lastFailureAtMicros + lockMs * 1000 - nowMicros;
  return leftMicros > 0 ? Math.ceil(leftMicros / 1_000_000) : 0;
}
