import type { Clock } from "../../src/domain/clock.js";

/**
 * A clock standing still at `now`: every sleep (but one of 0 ms) waits for `wake` or its signal, and is recorded, so
 * a test sees each pause a loop takes and decides when it ends.
 */
export class HeldClock implements Clock {
  readonly sleeps: number[] = [];
  #wakers: (() => void)[] = [];

  constructor(private readonly now: number) {}

  nowMicros(): number {
    return this.now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (ms === 0) return resolve();
      this.#wakers.push(resolve);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  }

  /** Ends every sleep under way. */
  wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }
}

/** Waits until `condition` holds, yielding to timers; fails after five seconds, naming `what`. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
