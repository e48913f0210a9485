import { setTimeout as sleep } from "node:timers/promises";
import type { Job, UpgradeTask } from "./operation-types.js";

/** How `waitForTask` and `waitForJob` poll; `T` is what each read gives, an upgrade task or a job. */
export interface WaitOptions<T> {
  /** Called with every read, the final one included. */
  readonly onProgress?: (read: T) => void;
  /** Time between two reads; 2 s by default. */
  readonly pollIntervalMs?: number;
  /** How long to wait before the timeout error; 60 minutes by default, terraform's create timeout. */
  readonly timeoutMs?: number;
}

export type WaitForTaskOptions = WaitOptions<UpgradeTask>;
export type WaitForJobOptions = WaitOptions<Job>;

const DEFAULT_POLL_INTERVAL_MS = 2_000;
const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;

/** Only these end a task or a job: a paused task waits to be continued, as terraform's wait does. */
const FINAL_PHASES: ReadonlySet<string> = new Set(["Success", "Failed"]);

/**
 * Reads until the phase is `Success` or `Failed` and returns that last read; a failed read ends the wait, and so does
 * the deadline, with the error `timedOut` makes of the last read.
 */
export async function pollUntilFinal<T extends { readonly status: { readonly phase: string } }>(
  read: () => Promise<T>,
  options: WaitOptions<T>,
  timedOut: (last: T, timeoutMs: number) => Error,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await read();
    options.onProgress?.(last);
    if (FINAL_PHASES.has(last.status.phase)) return last;
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) throw timedOut(last, timeoutMs);
    // The last sleep is cut short so that one more read happens right at the deadline.
    await sleep(Math.min(intervalMs, remainingMs));
  }
}
