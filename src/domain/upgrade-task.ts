/** Phases of an upgrade task, as CCE names them (`UpgradeTaskStatus.phase`). */
export const UPGRADE_TASK_PHASES = ["Init", "Queuing", "Running", "Pause", "Success", "Failed"] as const;
export type UpgradeTaskPhase = (typeof UPGRADE_TASK_PHASES)[number];

/**
 * Phases that hold the cluster: a cluster has at most one task in these. `Failed` is among them because a failed
 * upgrade leaves the cluster half-upgraded; `retry` is the way out, as in CCE.
 */
export const ACTIVE_TASK_PHASES: readonly UpgradeTaskPhase[] = ["Init", "Queuing", "Running", "Pause", "Failed"];

/** Progress is kept in hundredths of a percent (0..10000) and shown as CCE shows it: `"12.34"`. */
export function formatProgress(hundredths: number): string {
  const clamped = Math.min(10_000, Math.max(0, Math.round(hundredths)));
  return `${Math.floor(clamped / 100)}.${String(clamped % 100).padStart(2, "0")}`;
}
