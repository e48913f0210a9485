// The pollers of bench/in-flight.ts, in a process of their own so that the server's RSS and event loop are its own:
// told the server's address and task IDs, they GET random tasks until told to stop, then report their latencies.
import { clusterId, PROJECT } from "./upgrade-fixtures.js";

process.send?.("ready");

export interface PollOrder {
  readonly base: string;
  readonly ids: readonly string[];
  readonly pollers: number;
  readonly token: string;
}

export interface PollReport {
  readonly gets: number;
  readonly failures: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function poll(order: PollOrder, stopped: () => boolean): Promise<PollReport> {
  const latencies: number[] = [];
  let failures = 0;
  const poller = async () => {
    while (!stopped()) {
      const index = Math.floor(Math.random() * order.ids.length);
      const task = `${PROJECT}/clusters/${clusterId(index)}/operation/upgrade/tasks/${order.ids[index]}`;
      const started = performance.now();
      try {
        const response = await fetch(`${order.base}/api/v3/projects/${task}`, {
          headers: { "x-auth-token": order.token },
        });
        await response.arrayBuffer();
        if (response.status === 200) latencies.push(performance.now() - started);
        else failures += 1;
      } catch {
        // A kept-alive connection the server closed meanwhile: counted, and the poller goes on.
        failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: order.pollers }, poller));
  const sorted = latencies.sort((a, b) => a - b);
  return { gets: sorted.length, failures, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

process.once("message", async (order: PollOrder) => {
  let stop = false;
  process.once("message", () => {
    stop = true;
  });
  const report = await poll(order, () => stop);
  process.send?.(report, undefined, {}, () => process.exit(0));
});
