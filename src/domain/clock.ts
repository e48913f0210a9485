import { setTimeout as delay } from "node:timers/promises";

/** The source of time for everything that decides by time; tests inject their own. */
export interface Clock {
  /** Microseconds since the Unix epoch. */
  nowMicros(): number;
  /** Waits `ms` milliseconds; rejects with the signal's reason when it is aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time with microsecond resolution, strictly increasing within the process. */
export function systemClock(): Clock {
  let last = 0;
  return {
    nowMicros() {
      const now = Math.floor((performance.timeOrigin + performance.now()) * 1000);
      last = Math.max(now, last + 1);
      return last;
    },
    sleep: (ms, signal) => delay(Math.max(0, ms), undefined, signal ? { signal } : {}),
  };
}
