import type { Registry } from "prom-client";
import type { Clock } from "../domain/clock.js";
import type { DisplayZone } from "../domain/go-time.js";
import type { Store } from "../store/database.js";
import type { AuthLimitsOverride } from "./auth-limits.js";

/** What the HTTP layer is built from; handed in by `main.ts` or a test. */
export interface ApiContext {
  readonly store: Store;
  readonly clock: Clock;
  /** The zone timestamps are printed in. */
  readonly zone: DisplayZone;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimitBytes: number;
  /** How long a token from `POST /v3/auth/tokens` works. */
  readonly tokenTtlMs: number;
  /** The engine's lifecycle state in this process, for `/readyz` (`disabled` when it does not run here). */
  readonly engineState?: () => string;
  /** Where `/metrics` reads from; no `/metrics` route and no request timing when absent. */
  readonly metricsRegistry?: Registry;
  /** The longest stall the fault API accepts (`FAULT_MAX_STALL_SECONDS`); absent: its default. */
  readonly faultMaxStallSeconds?: number;
  /** Failed sign-ins allowed before backoff, and the token request rate; the defaults when absent. */
  readonly authLimits?: AuthLimitsOverride;
}
