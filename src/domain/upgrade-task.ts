/** Phases of an upgrade task, as CCE names them (`UpgradeTaskStatus.phase`). */
export const UPGRADE_TASK_PHASES = ["Init", "Queuing", "Running", "Pause", "Success", "Failed"] as const;
export type UpgradeTaskPhase = (typeof UPGRADE_TASK_PHASES)[number];

/**
 * Phases that hold the cluster: a cluster has at most one task in these. `Failed` is among them because a failed
 * upgrade leaves the cluster half-upgraded; `retry` is the way out, as in CCE.
 */
export const ACTIVE_TASK_PHASES: readonly UpgradeTaskPhase[] = ["Init", "Queuing", "Running", "Pause", "Failed"];

/** An upgrade task's phase as ShowClusterUpgradeInfo shows it: its enum has no `Queuing`, a queued task is under way. */
export function upgradeInfoPhase(phase: UpgradeTaskPhase): Exclude<UpgradeTaskPhase, "Queuing"> {
  return phase === "Queuing" ? "Running" : phase;
}

/** Progress is kept in hundredths of a percent (0..10000) and shown as CCE shows it: `"12.34"`. */
export function formatProgress(hundredths: number): string {
  const clamped = Math.min(10_000, Math.max(0, Math.round(hundredths)));
  return `${Math.floor(clamped / 100)}.${String(clamped % 100).padStart(2, "0")}`;
}

/** The controls CCE offers on a cluster's current upgrade task. */
export type UpgradeControl = "pause" | "continue" | "retry";

/** What a control does to a task in a given phase. */
export type ControlDecision =
  /** The task is mid-step: the engine pauses it once the current step has finished. */
  | { readonly kind: "request-pause" }
  /** A pause was requested and not applied yet: `continue` withdraws it. */
  | { readonly kind: "withdraw-pause" }
  | { readonly kind: "set-phase"; readonly phase: UpgradeTaskPhase }
  | { readonly kind: "refuse"; readonly reason: string };

/**
 * The state machine of the controls: pause holds `Init`/`Queuing` at once and a `Running` task after its current step
 * (refused once the last step runs: there is no step boundary left to pause at); continue resumes a paused task from
 * its next step; retry re-runs a failed task from the failed step.
 */
export function decideControl(
  phase: UpgradeTaskPhase,
  pauseRequested: boolean,
  control: UpgradeControl,
  lastStepRunning = false,
): ControlDecision {
  switch (control) {
    case "pause":
      if (phase === "Running" && lastStepRunning) {
        return { kind: "refuse", reason: "the upgrade task is running its last step; it can no longer be paused" };
      }
      if (phase === "Running") return { kind: "request-pause" };
      if (phase === "Init" || phase === "Queuing") return { kind: "set-phase", phase: "Pause" };
      return { kind: "refuse", reason: `the upgrade task is ${phase}; only a running or queued task can be paused` };
    case "continue":
      if (phase === "Pause") return { kind: "set-phase", phase: "Queuing" };
      if (phase === "Running" && pauseRequested) return { kind: "withdraw-pause" };
      return { kind: "refuse", reason: `the upgrade task is ${phase}; only a paused task can be continued` };
    case "retry":
      if (phase === "Failed") return { kind: "set-phase", phase: "Queuing" };
      return { kind: "refuse", reason: `the upgrade task is ${phase}; only a failed task can be retried` };
  }
}
