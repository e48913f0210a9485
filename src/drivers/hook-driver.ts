import type { Clock } from "../domain/clock.js";
import { type HookDriverConfig, type HookTransport, transportFor } from "../domain/driver-config.js";
import type { ClusterInspection } from "../domain/upgrade-checks.js";
import type { PlanTarget, StepFailure, StepKind } from "../domain/upgrade-plan.js";
import type { ClusterCheckDriver, StepContext, TargetOutcome } from "../engine/ports.js";
import { CommandCaller } from "./command-caller.js";
import type { CallOutcome, HookCaller, HookStepRequest } from "./hook-request.js";
import { stepRequest } from "./hook-request.js";
import { WebhookCaller } from "./webhook-caller.js";
import { type HookNetwork, systemResolver } from "./webhook-network.js";

export const HOOK_DEFAULTS = {
  timeoutSeconds: 10,
  stepDeadlineSeconds: 3600,
  retries: 2,
  retryBackoffSeconds: 1,
  pollSeconds: 5,
} as const;

/** The engine gives `observe` no signal: its calls end by their own timeouts. */
const NEVER_ABORTED = new AbortController().signal;

/** The subset of a pino logger the hook driver writes to. */
export interface HookLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * Runs a cluster's steps by calling its platform team's hooks, one call sequence per target. `apply` keeps calling
 * while the hook says `InProgress` (the engine's lease is renewed meanwhile), repeats timeouts and 5xx a bounded
 * number of times with jittered backoff, and gives up at the step deadline. A target the hook reports done has
 * reached its new version; the engine records it.
 */
export class HookDriver implements ClusterCheckDriver {
  readonly #callers = new Map<StepKind, HookCaller>();

  constructor(
    private readonly config: HookDriverConfig,
    private readonly clusterName: string,
    private readonly clock: Clock,
    private readonly log: HookLogger,
    private readonly network: HookNetwork,
  ) {}

  /** Asks the hook whether the target is done; a hook that cannot say is taken as "not done", and apply decides. */
  async observe(context: StepContext, target: Readonly<PlanTarget>): Promise<boolean> {
    const request = stepRequest(context, target, this.clusterName, "observe");
    const outcome = await this.#callRepeatingTransients(request, NEVER_ABORTED);
    return outcome.kind === "done";
  }

  async apply(context: StepContext, target: Readonly<PlanTarget>, signal: AbortSignal): Promise<TargetOutcome> {
    const request = stepRequest(context, target, this.clusterName, "apply");
    const deadline = this.clock.nowMicros() / 1000 + this.#setting("stepDeadlineSeconds") * 1000;
    for (;;) {
      const outcome = await this.#callRepeatingTransients(request, signal, deadline);
      if (outcome.kind === "done") return { ok: true, reached: { version: target.toVersion } };
      if (outcome.kind !== "in-progress") return { ok: false, failure: outcome.failure };
      const waitMs = outcome.retryAfterMs ?? this.#setting("pollSeconds") * 1000;
      if (this.clock.nowMicros() / 1000 + waitMs > deadline) return { ok: false, failure: this.#deadlineFailure() };
      await this.clock.sleep(waitMs, signal);
    }
  }

  /**
   * A pre-check is a `precheck` step call: the hook's "done" passes the cluster-side items, its failure (or silence)
   * means the check could not run, with the hook's reason.
   */
  async inspect(
    context: StepContext,
    target: Readonly<PlanTarget>,
    _request: unknown,
    signal: AbortSignal,
  ): Promise<ClusterInspection> {
    const outcome = await this.apply(context, target, signal);
    return outcome.ok ? { ok: true, failedItems: [] } : { ok: false, failure: outcome.failure };
  }

  /** One call, repeated after transient failures up to `retries` times, never past the deadline. */
  async #callRepeatingTransients(
    request: HookStepRequest,
    signal: AbortSignal,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<Exclude<CallOutcome, { kind: "transient" }>> {
    const caller = this.#caller(request.step.kind);
    for (let failures = 0; ; failures++) {
      const outcome = await caller.call(request, signal);
      this.#logCall(request, outcome);
      if (outcome.kind !== "transient") return outcome;
      const waitMs = Math.random() * this.#setting("retryBackoffSeconds") * 1000 * 2 ** failures;
      const pastDeadline = this.clock.nowMicros() / 1000 + waitMs > deadline;
      if (failures >= this.#setting("retries") || pastDeadline) return { kind: "failed", failure: outcome.failure };
      await this.clock.sleep(waitMs, signal);
    }
  }

  #caller(kind: StepKind): HookCaller {
    let caller = this.#callers.get(kind);
    if (!caller) {
      caller = this.#newCaller(transportFor(this.config, kind));
      this.#callers.set(kind, caller);
    }
    return caller;
  }

  #newCaller(transport: HookTransport): HookCaller {
    const timeoutMs = (transport.timeoutSeconds ?? HOOK_DEFAULTS.timeoutSeconds) * 1000;
    if (transport.type === "exec") {
      return new CommandCaller(transport.command, timeoutMs, this.config.exposeStderr ?? 0);
    }
    const reach = {
      allowPrivateNetwork: this.config.allowPrivateNetwork === true || this.network.allowPrivateNetworks,
      resolve: this.network.resolve ?? systemResolver,
    };
    // The config was validated: webhooks come with a secret.
    return new WebhookCaller(transport.url, this.config.secret ?? "", timeoutMs, this.clock, reach);
  }

  #setting(key: Exclude<keyof typeof HOOK_DEFAULTS, "timeoutSeconds">): number {
    return this.config[key] ?? HOOK_DEFAULTS[key];
  }

  #deadlineFailure(): StepFailure {
    const seconds = this.#setting("stepDeadlineSeconds");
    return { code: "HookDeadlineExceeded", message: `the hook did not finish within ${seconds} s`, retryable: false };
  }

  #logCall(request: HookStepRequest, outcome: CallOutcome): void {
    const fields = {
      taskId: request.taskId,
      step: request.step.name,
      target: request.target.name,
      phase: request.phase,
      idempotencyKey: request.idempotencyKey,
      outcome: outcome.kind,
    };
    if (outcome.kind === "done" || outcome.kind === "in-progress") this.log.info(fields, "hook call");
    else {
      const { failure, detail } = outcome;
      this.log.warn({ ...fields, code: failure.code, reason: failure.message, ...detail }, "hook call failed");
    }
  }
}
