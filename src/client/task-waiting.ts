import { setTimeout as sleep } from "node:timers/promises";
import { TaskWaitTimeoutError } from "./client-errors.js";
import type { UpgradeTask } from "./operation-types.js";

export interface WaitForTaskOptions {
  /** Called with every task read, the final one included. */
  readonly onProgress?: (task: UpgradeTask) => void;
  /** Time between two reads; 2 s by default. */
  readonly pollIntervalMs?: number;
  /** How long to wait before a {@link TaskWaitTimeoutError}; 60 minutes by default, terraform's create timeout. */
  readonly timeoutMs?: number;
}

const DEFAULT_POLL_INTERVAL_MS = 2_000;
const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;

/** Only these end a task: a paused one waits to be continued, as terraform's wait does. */
const FINAL_PHASES: ReadonlySet<string> = new Set(["Success", "Failed"]);

/** Reads the task until it is `Success` or `Failed` and returns that last read; a failed read ends the wait. */
export async function pollUntilFinal(
  read: () => Promise<UpgradeTask>,
  options: WaitForTaskOptions,
): Promise<UpgradeTask> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await read();
    options.onProgress?.(task);
    if (FINAL_PHASES.has(task.status.phase)) return task;
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) throw new TaskWaitTimeoutError(task, timeoutMs);
    // The last sleep is cut short so that one more read happens right at the deadline.
    await sleep(Math.min(intervalMs, remainingMs));
  }
}
