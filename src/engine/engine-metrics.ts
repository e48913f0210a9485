import { Counter, Histogram, type Registry } from "prom-client";
import type { EngineMetrics } from "./ports.js";

/** The engine's metrics as Prometheus series in `registry`. */
export function prometheusEngineMetrics(registry: Registry): EngineMetrics {
  const stepDuration = new Histogram({
    name: "cce_engine_step_duration_seconds",
    help: "Time one execution of an upgrade step took, by step kind (precheck, backup, master, addon, node).",
    labelNames: ["kind"] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [registry],
  });
  const takeovers = new Counter({
    name: "cce_engine_lease_takeovers_total",
    help: "Tasks this process claimed while they were already Running (their worker died or handed them back).",
    registers: [registry],
  });
  return {
    stepFinished: (kind, seconds) => stepDuration.observe({ kind }, seconds),
    leaseTakenOver: () => takeovers.inc(),
  };
}
