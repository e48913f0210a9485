import type { Clock } from "../domain/clock.js";
import {
  HOOK_CALL_SETTING_NAMES,
  type HookDriverConfig,
  type KubernetesDriverConfig,
  kubernetesTransports,
  missingKubernetesHook,
} from "../domain/driver-config.js";
import { inventoryVersion, nodeStatus, observedNodeId, reportsVersion } from "../domain/kubernetes-nodes.js";
import type { ClusterInspection, ObservedCluster } from "../domain/upgrade-checks.js";
import type { PlanTarget, StepFailure } from "../domain/upgrade-plan.js";
import type { ClusterCheckDriver, StepContext, TargetOutcome } from "../engine/ports.js";
import { HookDriver, type HookLogger } from "./hook-driver.js";
import { tenantReason } from "./hook-request.js";
import type { KubeNode, KubernetesApi } from "./kubernetes-api.js";
import { readObservedNodes } from "./kubernetes-inventory.js";
import { type DrainPolicy, drainNode } from "./pod-drain.js";
import type { HookNetwork } from "./webhook-network.js";

export const KUBERNETES_DEFAULTS = {
  drainTimeoutSeconds: 600,
  evictionRetrySeconds: 5,
  nodeReadyTimeoutSeconds: 600,
  soakSeconds: 0,
} as const;

/** The longest wait between two looks at a node coming back or a pod going away. */
const MAX_POLL_MS = 2000;

/**
 * Upgrades a real cluster through its Kubernetes API: the service cordons, drains (Eviction API), verifies and
 * uncordons each node itself; the operator's hooks only change versions (`nodeUpgrade` per drained node,
 * `controlPlaneUpgrade`, `addonUpgrade`) and take the `backup`. What it reports is what the API server says.
 */
export class KubernetesDriver implements ClusterCheckDriver {
  readonly #hooks: HookDriver;

  constructor(
    private readonly api: KubernetesApi,
    private readonly profile: KubernetesDriverConfig,
    clusterName: string,
    private readonly clock: Clock,
    private readonly log: HookLogger,
    network: HookNetwork,
  ) {
    this.#hooks = new HookDriver(hookConfig(profile), clusterName, clock, log, network);
  }

  /** Done means what the cluster shows: a node Ready, at the target and schedulable; the API server at the target. */
  async observe(context: StepContext, target: Readonly<PlanTarget>): Promise<boolean> {
    const kind = context.step.kind;
    if (kind === "node") {
      const node = await this.api.readNode(target.name);
      return node === undefined || (atVersion(node, target.toVersion) && !node.unschedulable);
    }
    if (kind === "master") return reportsVersion(await this.api.serverVersion(), target.toVersion);
    // A pre-check is cheap and reads the cluster as it is now: it runs again.
    if (kind === "precheck") return false;
    if (missingKubernetesHook(this.profile, kind) !== undefined) return false;
    return this.#hooks.observe(context, target);
  }

  async apply(context: StepContext, target: Readonly<PlanTarget>, signal: AbortSignal): Promise<TargetOutcome> {
    const kind = context.step.kind;
    if (kind === "precheck") return { ok: true };
    const missing = missingKubernetesHook(this.profile, kind);
    if (missing !== undefined) return failed(hookNotConfigured(missing));
    if (kind === "node") return this.#upgradeNode(context, target, signal);
    const outcome = await this.#hooks.apply(context, target, signal);
    if (!outcome.ok || kind !== "master") return outcome;
    return this.#verifyControlPlane(target.toVersion, signal);
  }

  /** Reads nodes, budgets and deprecated APIs from the cluster; an unreachable API server is a check that did not run. */
  async inspect(context: StepContext, target: Readonly<PlanTarget>): Promise<ClusterInspection> {
    try {
      return { ok: true, failedItems: [], observed: await this.#observeCluster(context.clusterId, target.fromVersion) };
    } catch (error) {
      this.log.warn({ err: error }, "reading the cluster for a pre-check failed");
      return { ok: false, failure: unreachable("the pre-check", error) };
    }
  }

  /** Each node's load (pods a drain would move), by name: a pool's least-loaded node goes first. */
  async nodeLoads(): Promise<ReadonlyMap<string, number>> {
    const nodes = await readObservedNodes(this.api, this.profile);
    return new Map(nodes.map((node) => [node.name, node.load]));
  }

  /**
   * After a node batch: waits `soakSeconds`, then checks the batch's nodes are still Ready and schedulable, as kOps
   * validates a cluster between instance groups; the next batch starts only then.
   */
  async settle(context: StepContext, signal: AbortSignal): Promise<StepFailure | undefined> {
    const { step } = context;
    if (step.kind !== "node") return undefined;
    const soakMs = (this.profile.soakSeconds ?? KUBERNETES_DEFAULTS.soakSeconds) * 1000;
    if (soakMs === 0) return undefined;
    await this.clock.sleep(soakMs, signal);
    for (const target of step.targets) {
      const node = await this.api.readNode(target.name);
      if (node && !(atVersion(node, target.toVersion) && !node.unschedulable)) {
        return nodeNotReady(`${target.name} ${describe(node)} after the ${soakMs / 1000} s soak`);
      }
    }
    return undefined;
  }

  /**
   * Cordon, drain, `nodeUpgrade`, wait for Ready at the target, uncordon. A node already Ready at the target (a
   * crashed worker's, or one upgraded outside) is only uncordoned: it is never drained twice. A node that left the
   * cluster is done.
   */
  async #upgradeNode(context: StepContext, target: Readonly<PlanTarget>, signal: AbortSignal): Promise<TargetOutcome> {
    const name = target.name;
    const node = await this.api.readNode(name);
    if (!node) return { ok: true };
    if (!atVersion(node, target.toVersion)) {
      if (!node.unschedulable) await this.api.setUnschedulable(name, true);
      const drained = await drainNode(this.api, name, this.#drainPolicy(), this.clock, signal);
      if (drained) return failed(drained);
      const upgraded = await this.#hooks.apply(context, target, signal);
      if (!upgraded.ok) return upgraded;
      const back = await this.#waitForNode(name, target.toVersion, signal);
      if (back) return failed(back);
    }
    await this.api.setUnschedulable(name, false);
    return { ok: true, reached: { version: target.toVersion } };
  }

  async #waitForNode(name: string, version: string, signal: AbortSignal): Promise<StepFailure | undefined> {
    const timeoutMs = this.#readyTimeoutMs();
    const deadline = this.clock.nowMicros() / 1000 + timeoutMs;
    for (;;) {
      const node = await this.api.readNode(name);
      if (node && atVersion(node, version)) return undefined;
      if (this.clock.nowMicros() / 1000 + pollMs(timeoutMs) > deadline) {
        const state = node ? describe(node) : "is not registered";
        return nodeNotReady(`${name} did not come back Ready at ${version} within ${timeoutMs / 1000} s: it ${state}`);
      }
      await this.clock.sleep(pollMs(timeoutMs), signal);
    }
  }

  async #verifyControlPlane(version: string, signal: AbortSignal): Promise<TargetOutcome> {
    const timeoutMs = this.#readyTimeoutMs();
    const deadline = this.clock.nowMicros() / 1000 + timeoutMs;
    for (;;) {
      const reported = await this.api.serverVersion();
      if (reportsVersion(reported, version)) return { ok: true, reached: { version } };
      if (this.clock.nowMicros() / 1000 + pollMs(timeoutMs) > deadline) {
        const message = `the API server reports ${reported}, not ${version}, ${timeoutMs / 1000} s after controlPlaneUpgrade`;
        return failed({
          code: "ControlPlaneVersionMismatch",
          message: tenantReason(message, "start"),
          retryable: false,
        });
      }
      await this.clock.sleep(pollMs(timeoutMs), signal);
    }
  }

  async #observeCluster(clusterId: string, clusterVersion: string): Promise<ObservedCluster> {
    const [nodes, budgets, deprecated] = await Promise.all([
      readObservedNodes(this.api, this.profile),
      this.api.budgets(),
      this.api.deprecatedApis(),
    ]);
    return {
      nodes: nodes.map((node) => ({
        id: observedNodeId(clusterId, node.uid),
        name: node.name,
        poolId: node.pool,
        status: nodeStatus(node),
        version: inventoryVersion(node.kubeletVersion, clusterVersion),
      })),
      kubelets: nodes.map((node) => ({
        id: observedNodeId(clusterId, node.uid),
        name: node.name,
        version: node.kubeletVersion,
      })),
      // A budget over no pods allows no disruption and holds up nothing.
      blockingBudgets: budgets.filter((budget) => budget.disruptionsAllowed === 0 && budget.expectedPods > 0),
      deprecatedApis: deprecated.map((api) => ({
        url:
          api.group === ""
            ? `/api/${api.version}/${api.resource}`
            : `/apis/${api.group}/${api.version}/${api.resource}`,
        userAgent: "",
        removedIn: api.removedRelease === "" ? null : `v${api.removedRelease}`,
      })),
    };
  }

  #drainPolicy(): DrainPolicy {
    const drain = this.profile.drain ?? {};
    const timeoutMs = (drain.timeoutSeconds ?? KUBERNETES_DEFAULTS.drainTimeoutSeconds) * 1000;
    return {
      timeoutMs,
      podGracePeriodSeconds: drain.podGracePeriodSeconds,
      deleteEmptyDirData: drain.deleteEmptyDirData ?? false,
      skipDaemonSets: drain.skipDaemonSets ?? true,
      evictionRetryMs: (drain.evictionRetrySeconds ?? KUBERNETES_DEFAULTS.evictionRetrySeconds) * 1000,
      pollMs: pollMs(timeoutMs),
    };
  }

  #readyTimeoutMs(): number {
    return (this.profile.nodeReadyTimeoutSeconds ?? KUBERNETES_DEFAULTS.nodeReadyTimeoutSeconds) * 1000;
  }
}

/** The hook driver the profile's hooks run through; a step kind without its hook never reaches it. */
function hookConfig(profile: KubernetesDriverConfig): HookDriverConfig {
  const settings = HOOK_CALL_SETTING_NAMES.filter((name) => profile[name] !== undefined).map((name) => [
    name,
    profile[name],
  ]);
  const { node, ...steps } = kubernetesTransports(profile);
  return { ...Object.fromEntries(settings), default: profile.nodeUpgrade, steps };
}

function atVersion(node: KubeNode, version: string): boolean {
  return node.ready && reportsVersion(node.kubeletVersion, version);
}

function describe(node: KubeNode): string {
  return `reports ${node.kubeletVersion || "no version"}, ${node.ready ? "Ready" : "NotReady"}${node.unschedulable ? ", cordoned" : ""}`;
}

/** A twentieth of the wait, between 100 ms and 2 s. */
function pollMs(timeoutMs: number): number {
  return Math.min(MAX_POLL_MS, Math.max(100, timeoutMs / 20));
}

function failed(failure: StepFailure): TargetOutcome {
  return { ok: false, failure };
}

function nodeNotReady(message: string): StepFailure {
  return { code: "NodeNotReady", message: tenantReason(message, "start"), retryable: false };
}

export function hookNotConfigured(hook: string): StepFailure {
  return {
    code: "HookNotConfigured",
    message: `the cluster's kubernetes driver profile has no ${hook} hook; the operator adds one to the seed file`,
    retryable: false,
  };
}

/** The cluster could not be read; the error, which may name hosts, goes to the log, not to the tenant. */
export function unreachable(what: string, error: unknown): StepFailure {
  const code = (error as { code?: unknown } | null)?.code;
  const detail = typeof code === "string" || typeof code === "number" ? ` (${String(code).slice(0, 32)})` : "";
  return {
    code: "ClusterUnreachable",
    message: `${what} could not read the cluster's Kubernetes API${detail}; the server log has the details`,
    retryable: true,
  };
}
