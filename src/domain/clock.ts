/** The source of time for everything that decides by time; tests inject their own. */
export interface Clock {
  /** Microseconds since the Unix epoch. */
  nowMicros(): number;
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
  };
}
