import type { Clock } from "../domain/clock.js";
import { CHECK_ITEMS, type ClusterInspection, type FailedCheckItem } from "../domain/upgrade-checks.js";
import type { PlanTarget, StepKind } from "../domain/upgrade-plan.js";
import type { ClusterCheckDriver, InspectionRequest, StepContext, TargetOutcome } from "../engine/ports.js";
import type { SimulatedCluster, SimulatedTarget } from "./simulated-cluster.js";

/** How long each kind of step takes at `SIM_SPEED=1`: a 3-node cluster upgrades in about a minute. */
export const SIMULATED_STEP_MS: Readonly<Record<StepKind, number>> = {
  precheck: 4_000,
  backup: 6_000,
  master: 20_000,
  addon: 3_000,
  node: 10_000,
};

export interface SimulatorOptions {
  /** Divides every step's duration; `Infinity` makes steps instant. */
  readonly speed: number;
  /** How often a stalled step looks whether its fault was removed. */
  readonly stallPollMs?: number;
}

/**
 * A cluster that exists only in the simulator's own state: steps take simulated time, may meet injected faults, and
 * set what each target runs. Every call is logged, so a repeated step shows; the engine records what a step reached
 * in its own inventory.
 */
export class SimulatorDriver implements ClusterCheckDriver {
  /** The simulated time of each step attempt under way, by the run's signal: its targets wait on one timer. */
  readonly #stepTimes = new WeakMap<AbortSignal, Map<string, Promise<void>>>();

  constructor(
    private readonly cluster: SimulatedCluster,
    private readonly clock: Clock,
    private readonly options: SimulatorOptions,
  ) {}

  async observe(context: StepContext, target: Readonly<PlanTarget>): Promise<boolean> {
    // A worker that observes has taken over the task: from now on, the one before it cannot change the cluster.
    if (context.fence !== undefined) await this.cluster.admit(context.taskId, context.fence);
    if (context.step.kind === "precheck") return false;
    const version = await this.cluster.versionOf(simulatedTarget(context, target));
    return context.step.kind === "backup" ? version !== undefined : version === target.toVersion;
  }

  async apply(context: StepContext, target: Readonly<PlanTarget>, signal: AbortSignal): Promise<TargetOutcome> {
    await this.#stepTime(context, signal);
    const fault = await this.cluster.takeFault({
      clusterId: context.clusterId,
      taskId: context.taskId,
      kind: context.step.kind,
      stepIndex: context.stepIndex,
      attempt: context.attempt,
      target: target.name,
    });
    if (fault?.mode === "stall") await this.stallWhile(fault.id, fault.stallMs, signal);
    const failed = fault?.mode === "fail";
    const admitted = await this.cluster.recordApply({
      ...simulatedTarget(context, target),
      taskId: context.taskId,
      stepIndex: context.stepIndex,
      target: target.name,
      run: context.step.runFromAttempt ?? 1,
      attempt: context.attempt,
      fromVersion: target.fromVersion,
      toVersion: target.toVersion,
      failed,
      fence: context.fence,
    });
    if (!admitted) return { ok: false, failure: LEASE_LOST };
    if (fault && failed) return { ok: false, failure: fault.failure };
    return { ok: true, reached: { version: target.toVersion } };
  }

  /**
   * Answers a pre-check from the fault rules of step `precheck`: one naming no item means the check cannot run;
   * otherwise the oldest rule of each item fails it (NodeStatus only on a cluster with nodes), one attempt each.
   */
  async inspect(
    context: StepContext,
    _target: Readonly<PlanTarget>,
    request: InspectionRequest,
    signal: AbortSignal,
  ): Promise<ClusterInspection> {
    await this.#take("precheck", signal);
    const items = Object.keys(CHECK_ITEMS).filter((item) => item !== "NodeStatus" || request.hasNodes);
    const { unrunnable, failed } = await this.cluster.takeCheckFaults(context.clusterId, items);
    if (unrunnable) return { ok: false, failure: unrunnable.failure };
    const failedItems: FailedCheckItem[] = items.flatMap((item) => {
      const fault = failed.get(item);
      return fault ? [{ item, code: fault.failure.code, message: fault.failure.message }] : [];
    });
    return { ok: true, failedItems };
  }

  /**
   * The targets of a step upgrade together, so they share its simulated time: one timer per step attempt instead of
   * one per target (20 per batch of 20 nodes, each with its abort listener, for every task in flight).
   */
  #stepTime(context: StepContext, signal: AbortSignal): Promise<void> {
    let times = this.#stepTimes.get(signal);
    if (!times) {
      times = new Map();
      this.#stepTimes.set(signal, times);
    }
    const key = `${context.taskId}/${context.stepIndex}/${context.attempt}`;
    let time = times.get(key);
    if (!time) {
      time = this.#take(context.step.kind, signal);
      times.set(key, time);
      const forget = () => times.delete(key);
      time.then(forget, forget);
    }
    return time;
  }

  /** Spends the simulated time of a step of this kind. */
  async #take(kind: StepKind, signal: AbortSignal): Promise<void> {
    const durationMs = SIMULATED_STEP_MS[kind] / this.options.speed;
    if (durationMs > 0) await this.clock.sleep(durationMs, signal);
  }

  /** A stall holds the step until its time is up or the fault is deleted. */
  private async stallWhile(faultId: string, stallMs: number, signal: AbortSignal): Promise<void> {
    const pollMs = this.options.stallPollMs ?? 200;
    for (let waited = 0; waited < stallMs; waited += pollMs) {
      if (!(await this.cluster.faultExists(faultId))) return;
      await this.clock.sleep(pollMs, signal);
    }
  }
}

/** What a worker that lost its lease is told; the engine stops at its next commit anyway. */
const LEASE_LOST = {
  code: "LeaseLost",
  message: "a newer worker of this task holds the cluster",
  retryable: true,
} as const;

/** Nodes by their ID, add-ons and the control plane by name; a backup is taken once per run of its step. */
function simulatedTarget(context: StepContext, target: Readonly<PlanTarget>): SimulatedTarget {
  const { kind } = context.step;
  const name =
    kind === "backup"
      ? `${context.taskId}:${context.stepIndex}:${context.step.runFromAttempt ?? 1}`
      : (target.id ?? target.name);
  return { clusterId: context.clusterId, kind, name };
}
