import { useEffect, useRef, useState } from "react";

/** How often pages refresh what they show: the API has no push channel. */
export const POLL_INTERVAL_MS = 1000;

export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  /** Loads again now (after an action), without waiting for the next tick. */
  readonly refresh: () => void;
}

/**
 * Calls `load` now and then every POLL_INTERVAL_MS after each answer (never two at once), until `keepPolling` says
 * the data is final or the component unmounts. `key` restarts it (another cluster or task).
 */
export function usePolling<T>(load: () => Promise<T>, key: string, keepPolling: (data: T) => boolean = () => true) {
  const [state, setState] = useState<{ data?: T; error?: Error }>({});
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const keepPollingRef = useRef(keepPolling);
  keepPollingRef.current = keepPolling;

  // biome-ignore lint/correctness/useExhaustiveDependencies: key and generation are the reasons to restart.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      let again = true;
      try {
        const data = await loadRef.current();
        if (stopped) return;
        setState({ data });
        again = keepPollingRef.current(data);
      } catch (error) {
        if (stopped) return;
        setState((previous) => ({ ...previous, error: error as Error }));
      }
      if (again) timer = setTimeout(tick, POLL_INTERVAL_MS);
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, generation]);

  return { data: state.data, error: state.error, refresh: () => setGeneration((n) => n + 1) } satisfies Polled<T>;
}
