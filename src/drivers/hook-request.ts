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

/** What a failed call logs beside its failure: the hook's raw answer, the network's error. Never shown to a tenant. */
export type CallDetail = Readonly<Record<string, unknown>>;

/**
 * What one call came to; `transient` outcomes (timeouts, 5xx, lost connections) are worth calling again. A failure
 * holds only what a tenant may see; the rest is in `detail`.
 */
export type CallOutcome =
  | { readonly kind: "done" }
  | { readonly kind: "in-progress"; readonly retryAfterMs?: number }
  | { readonly kind: "failed"; readonly failure: StepFailure; readonly detail?: CallDetail }
  | { readonly kind: "transient"; readonly failure: StepFailure; readonly detail?: CallDetail };

/** The longest reason a hook can put in front of a tenant. */
const REASON_MAX_CHARS = 512;

/** Control and format characters (escape sequences, bidi overrides) a hook could use to disguise its reason. */
const CONTROL_CHARACTERS = /[\p{Cc}\p{Cf}]+/gu;

/**
 * A hook's own text as a tenant may see it: control characters stripped (line breaks become spaces), at most
 * REASON_MAX_CHARS, keeping the start or, for the end of a log, the end.
 */
export function tenantReason(text: string, keep: "start" | "end"): string {
  const clean = text
    .replace(/[\r\n\t]+/g, " ")
    .replace(CONTROL_CHARACTERS, "")
    .replace(/ {2,}/g, " ")
    .trim();
  const chars = Array.from(clean);
  if (chars.length <= REASON_MAX_CHARS) return clean;
  return (keep === "start" ? chars.slice(0, REASON_MAX_CHARS) : chars.slice(-REASON_MAX_CHARS)).join("");
}

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
