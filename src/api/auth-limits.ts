import type { FailureBackoff } from "../domain/failure-backoff.js";
import type { FailureScope } from "../store/auth-failure-queries.js";

/** How many failed sign-ins each counter allows before it locks, and how many token requests an address may send. */
export interface AuthLimits {
  readonly failures: Readonly<Record<FailureScope, FailureBackoff>>;
  /** Requests a minute to `POST /v3/auth/tokens` from one address, counted per process. */
  readonly tokenRequestsPerMinute: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  failures: {
    // Five wrong signatures of one key from one address lock that pair for a minute, as APIGW locks an AK.
    "signature-key": {
      lockAfterFailures: 5,
      firstLockMs: MINUTE_MS,
      maxLockMs: 15 * MINUTE_MS,
      forgetAfterMs: HOUR_MS,
    },
    "signature-address": {
      lockAfterFailures: 20,
      firstLockMs: 1000,
      maxLockMs: 15 * MINUTE_MS,
      forgetAfterMs: HOUR_MS,
    },
    "password-user": { lockAfterFailures: 5, firstLockMs: 1000, maxLockMs: 15 * MINUTE_MS, forgetAfterMs: HOUR_MS },
    "password-address": { lockAfterFailures: 20, firstLockMs: 1000, maxLockMs: 15 * MINUTE_MS, forgetAfterMs: HOUR_MS },
  },
  tokenRequestsPerMinute: 60,
};

/** Limits given in part, over the defaults (tests lower or lift them). */
export type AuthLimitsOverride = {
  readonly failures?: Partial<Record<FailureScope, FailureBackoff>>;
  readonly tokenRequestsPerMinute?: number;
};

/** The defaults with `override` applied, policy by policy. */
export function authLimits(override: AuthLimitsOverride = {}): AuthLimits {
  return {
    failures: { ...DEFAULT_AUTH_LIMITS.failures, ...override.failures },
    tokenRequestsPerMinute: override.tokenRequestsPerMinute ?? DEFAULT_AUTH_LIMITS.tokenRequestsPerMinute,
  };
}
