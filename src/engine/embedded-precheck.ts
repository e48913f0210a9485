import { evaluatePrecheck } from "../domain/upgrade-checks.js";
import type { PlanTarget } from "../domain/upgrade-plan.js";
import type { ClusterDriver, EngineStore, StepContext, TargetOutcome } from "./ports.js";

/**
 * An upgrade's pre-check step, by the standalone pre-check's rules over the same inventory and driver answers, so
 * the two agree on a cluster and target. The task itself is the cluster's one active upgrade and set it `Upgrading`:
 * the cluster is judged as the task found it, `Available` (UpgradeCluster accepts no other).
 */
export async function runEmbeddedPrecheck(
  context: StepContext,
  target: Readonly<PlanTarget>,
  store: EngineStore,
  inspect: NonNullable<ClusterDriver["inspect"]>,
  signal: AbortSignal,
): Promise<TargetOutcome> {
  const inventory = await store.checkInventory(context.clusterId);
  const inspection = await inspect(context, target, { hasNodes: inventory.nodes.length > 0 }, signal);
  if (!inspection.ok) return { ok: false, failure: inspection.failure };
  const result = evaluatePrecheck({
    cluster: { version: target.fromVersion, phase: "Available", hasActiveUpgrade: false },
    targetVersion: target.toVersion,
    ...inventory,
    inspection,
    skipped: [],
  });
  if (result.phase === "Success") return { ok: true };
  return { ok: false, failure: { code: "PreCheckFailed", message: result.message ?? "", retryable: false } };
}
