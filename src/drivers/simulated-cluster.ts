import type { StepFailure, StepKind } from "../domain/upgrade-plan.js";

/** One target of a simulated cluster; a backup's name names the task run it was taken for. */
export interface SimulatedTarget {
  readonly clusterId: string;
  readonly kind: StepKind;
  readonly name: string;
}

/** One call of the simulator's `apply`, as its log keeps it. */
export interface SimulatedApply extends SimulatedTarget {
  readonly taskId: string;
  readonly stepIndex: number;
  /** The plan target's name (a node, an add-on, `master`, a pre-check or backup step). */
  readonly target: string;
  readonly run: number;
  readonly attempt: number;
  readonly fromVersion: string;
  readonly toVersion: string;
  /** An injected fault failed the call: the target keeps its version. */
  readonly failed: boolean;
  /** The worker's fencing token, if it has one. */
  readonly fence?: number | undefined;
}

/** The pre-check fault rules a check met: one that keeps it from running, or the items it fails. */
export interface CheckFaults {
  readonly unrunnable?: SimulatedFault;
  readonly failed: ReadonlyMap<string, SimulatedFault>;
}

/** An armed fault rule the simulator met. */
export interface SimulatedFault {
  readonly id: string;
  readonly mode: "fail" | "stall";
  readonly stallMs: number;
  readonly failure: StepFailure;
}

/** The step attempt a fault is looked up for. */
export interface FaultQuery {
  readonly clusterId: string;
  readonly taskId: string;
  readonly kind: StepKind;
  readonly stepIndex: number;
  readonly attempt: number;
  readonly target: string;
}

/**
 * The simulator's own state, apart from the service's inventory (which only the engine writes, under its lease):
 * what each simulated target runs, one log row per apply call, and the fault rules it injects.
 */
export interface SimulatedCluster {
  /** What the target runs; undefined when the simulator never changed it. */
  versionOf(target: SimulatedTarget): Promise<string | undefined>;
  /**
   * Logs the call and, unless it failed or a newer worker of the task showed a higher fencing token, sets the target
   * to `toVersion`, in one transaction. False when it was fenced off, or when its task no longer exists (nothing is
   * logged then).
   */
  recordApply(apply: SimulatedApply): Promise<boolean>;
  /** Remembers the task's newest fencing token, so the workers before it are refused from now on. */
  admit(taskId: string, fence: number): Promise<void>;
  /** Consumes one attempt of the first armed fault rule matching the step and target. */
  takeFault(query: FaultQuery): Promise<SimulatedFault | undefined>;
  /**
   * Consumes one attempt of the oldest armed `fail` rule of step `precheck` naming no item (the check then cannot
   * run, and nothing else is consumed); else, for each of `items`, of the oldest such rule whose target is the item.
   */
  takeCheckFaults(clusterId: string, items: readonly string[]): Promise<CheckFaults>;
  /** Whether the rule still exists: deleting a stalling fault ends the stall. */
  faultExists(faultId: string): Promise<boolean>;
}
