import type { V1LabelSelector } from "@kubernetes/client-node";
import type { Clock } from "../domain/clock.js";
import type { StepFailure } from "../domain/upgrade-plan.js";
import { tenantReason } from "./hook-request.js";
import type { KubeBudget, KubePod, KubernetesApi } from "./kubernetes-api.js";

/** How a node is drained: the profile's `drain` settings with their defaults applied. */
export interface DrainPolicy {
  readonly timeoutMs: number;
  readonly podGracePeriodSeconds: number | undefined;
  readonly deleteEmptyDirData: boolean;
  readonly skipDaemonSets: boolean;
  readonly evictionRetryMs: number;
  /** How often an evicted pod is looked for until it is gone. */
  readonly pollMs: number;
}

/** The longest wait between two tries of a refused eviction, as a multiple of the first. */
const MAX_BACKOFF_FACTOR = 8;

/**
 * Evicts every pod a drain moves off the node, all at once, as `kubectl drain` does: each eviction is tried again
 * after a 429 (a PodDisruptionBudget allows no disruption now) with a doubling wait, and each evicted pod is waited
 * for until it is gone. Undefined when the node is empty of them; else the first failure, which stops the others.
 */
export async function drainNode(
  api: KubernetesApi,
  nodeName: string,
  policy: DrainPolicy,
  clock: Clock,
  signal: AbortSignal,
): Promise<StepFailure | undefined> {
  const pods = (await api.podsOn(nodeName)).filter((pod) => evicts(pod, policy));
  const keeping = pods.find((pod) => pod.emptyDir && !policy.deleteEmptyDirData);
  if (keeping) {
    return evictionFailure(
      `pod ${podName(keeping)} on ${nodeName} has emptyDir data that a drain would delete; set drain.deleteEmptyDirData to allow it`,
    );
  }
  const stop = new AbortController();
  const drain: Drain = {
    api,
    policy,
    clock,
    deadlineMs: clock.nowMicros() / 1000 + policy.timeoutMs,
    signal: AbortSignal.any([signal, stop.signal]),
  };
  const evictOne = async (pod: KubePod) => {
    try {
      const failure = await evictUntilGone(drain, pod);
      if (failure) stop.abort();
      return failure;
    } catch (error) {
      // Another pod's failure stopped this one: that failure is the answer.
      if (stop.signal.aborted && !signal.aborted) return undefined;
      throw error;
    }
  };
  const failures = await Promise.all(pods.map(evictOne));
  return failures.find((failure) => failure !== undefined);
}

/** One node's drain under way: what every pod's eviction shares. */
interface Drain {
  readonly api: KubernetesApi;
  readonly policy: DrainPolicy;
  readonly clock: Clock;
  readonly deadlineMs: number;
  /** Aborted when the step is, or when another pod's eviction failed. */
  readonly signal: AbortSignal;
}

/** Whether a drain evicts the pod: never a static pod's mirror or a finished pod; DaemonSet pods unless kept. */
function evicts(pod: KubePod, policy: DrainPolicy): boolean {
  if (pod.mirror || pod.finished) return false;
  return !(pod.daemonSet && policy.skipDaemonSets);
}

async function evictUntilGone(drain: Drain, pod: KubePod): Promise<StepFailure | undefined> {
  const { api, policy, clock } = drain;
  for (let refusals = 0; ; refusals++) {
    const answer = await api.evict(pod, policy.podGracePeriodSeconds);
    if (answer.kind === "evicted" || answer.kind === "gone") return waitUntilGone(drain, pod);
    if (answer.kind === "failed") {
      return evictionFailure(`evicting pod ${podName(pod)} failed: ${answer.status} ${answer.message}`);
    }
    const waitMs = policy.evictionRetryMs * Math.min(2 ** refusals, MAX_BACKOFF_FACTOR);
    if (clock.nowMicros() / 1000 + waitMs > drain.deadlineMs) return blockedFailure(drain, pod, answer.message);
    await clock.sleep(waitMs, drain.signal);
  }
}

async function waitUntilGone(drain: Drain, pod: KubePod): Promise<StepFailure | undefined> {
  const { api, policy, clock } = drain;
  while (await api.podExists(pod)) {
    if (clock.nowMicros() / 1000 + policy.pollMs > drain.deadlineMs) {
      return evictionFailure(`pod ${podName(pod)} was evicted but still exists after ${seconds(policy.timeoutMs)}`);
    }
    await clock.sleep(policy.pollMs, drain.signal);
  }
  return undefined;
}

/** The drain ran out of time on a refused eviction: the reason names the pod and the budgets that select it. */
async function blockedFailure(drain: Drain, pod: KubePod, refusal: string): Promise<StepFailure> {
  const budgets = (await drain.api.budgets()).filter((budget) => budgetSelects(budget, pod));
  const named = budgets.map((budget) => `${budget.namespace}/${budget.name}`).join(", ") || "unknown";
  return evictionFailure(
    `pod ${podName(pod)} could not be evicted within ${seconds(drain.policy.timeoutMs)}: PodDisruptionBudget ${named} allows no disruption (${refusal})`,
  );
}

function evictionFailure(message: string): StepFailure {
  return { code: "PodEvictionFailure", message: tenantReason(message, "start"), retryable: false };
}

function podName(pod: KubePod): string {
  return `${pod.namespace}/${pod.name}`;
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

/** Whether a budget covers the pod: same namespace, and its selector matches (policy/v1: `{}` matches all, none nothing). */
export function budgetSelects(budget: KubeBudget, pod: Pick<KubePod, "namespace" | "labels">): boolean {
  return budget.namespace === pod.namespace && selectorMatches(budget.selector, pod.labels);
}

function selectorMatches(selector: V1LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    byLabels &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const value = labels[key];
      if (operator === "In") return value !== undefined && values.includes(value);
      if (operator === "NotIn") return value === undefined || !values.includes(value);
      if (operator === "Exists") return value !== undefined;
      if (operator === "DoesNotExist") return value === undefined;
      return false;
    })
  );
}
