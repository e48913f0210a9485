import type { PlanTarget, StepFailure, StepKind } from "../domain/upgrade-plan.js";
import type { StepContext } from "../engine/ports.js";

/** `observe` asks whether the target is already done; `apply` does it (or reports on the run it started before). */
export type HookPhase = "observe" | "apply";

/** The JSON a hook receives for one call: the webhook body, an exec command's stdin. */
export interface HookStepRequest {
  readonly idempotencyKey: string;
  readonly phase: HookPhase;
  readonly taskId: string;
  readonly cluster: { readonly id: string; readonly name: string };
  readonly step: { readonly kind: StepKind; readonly name: string; readonly index: number; readonly batch?: number };
  readonly target: { readonly name: string; readonly id?: string; readonly pool?: string };
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly attempt: number;
}

/** What one call came to; `transient` outcomes (timeouts, 5xx, lost connections) are worth calling again. */
export type CallOutcome =
  | { readonly kind: "done" }
  | { readonly kind: "in-progress"; readonly retryAfterMs?: number }
  | { readonly kind: "failed"; readonly failure: StepFailure }
  | { readonly kind: "transient"; readonly failure: StepFailure };

/** One way of calling a hook: a webhook or a command. */
export interface HookCaller {
  call(request: HookStepRequest, signal: AbortSignal): Promise<CallOutcome>;
}

/**
 * Names one logical operation: task, step, target and the attempt its run began with. A crashed worker's successor
 * (a later attempt of the same run) repeats the key; a user `retry` starts a new run, so a new key.
 */
export function idempotencyKey(context: StepContext, target: Readonly<PlanTarget>): string {
  const run = context.step.runFromAttempt ?? 1;
  return `${context.taskId}:${context.stepIndex}:${target.name}:${run}`;
}

export function stepRequest(
  context: StepContext,
  target: Readonly<PlanTarget>,
  clusterName: string,
  phase: HookPhase,
): HookStepRequest {
  const { step } = context;
  return {
    idempotencyKey: idempotencyKey(context, target),
    phase,
    taskId: context.taskId,
    cluster: { id: context.clusterId, name: clusterName },
    step: { kind: step.kind, name: step.name, index: context.stepIndex, ...(step.batch && { batch: step.batch }) },
    target: { name: target.name, ...(target.id && { id: target.id }), ...(target.pool && { pool: target.pool }) },
    fromVersion: target.fromVersion,
    toVersion: target.toVersion,
    attempt: context.attempt,
  };
}

/** The request as environment variables, for scripts that would rather not parse JSON. */
export function requestEnvironment(request: HookStepRequest): Record<string, string> {
  return {
    CCE_HOOK_PHASE: request.phase,
    CCE_IDEMPOTENCY_KEY: request.idempotencyKey,
    CCE_TASK_ID: request.taskId,
    CCE_CLUSTER_ID: request.cluster.id,
    CCE_CLUSTER_NAME: request.cluster.name,
    CCE_STEP_KIND: request.step.kind,
    CCE_STEP_NAME: request.step.name,
    CCE_STEP_INDEX: String(request.step.index),
    CCE_TARGET: request.target.name,
    CCE_TARGET_ID: request.target.id ?? "",
    CCE_TARGET_POOL: request.target.pool ?? "",
    CCE_FROM_VERSION: request.fromVersion,
    CCE_TO_VERSION: request.toVersion,
    CCE_ATTEMPT: String(request.attempt),
  };
}
