import type { Kysely } from "kysely";
import type { PlanTarget } from "../domain/upgrade-plan.js";
import type { StepContext } from "../engine/ports.js";
import type { Store } from "./database.js";
import type { Database } from "./schema.js";

/**
 * Moves one target (control plane, add-on or node) to its new version if it is not there yet; true when this call
 * changed it. Pre-check and backup steps change no version.
 */
export async function changeTargetVersion(
  db: Kysely<Database>,
  context: StepContext,
  target: Readonly<PlanTarget>,
  now: number,
): Promise<boolean> {
  const to = target.toVersion;
  switch (context.step.kind) {
    case "master": {
      const result = await db
        .updateTable("clusters")
        .set({ control_plane_version: to, updated_at: now })
        .where("id", "=", context.clusterId)
        .where((eb) => eb.or([eb("control_plane_version", "is", null), eb("control_plane_version", "!=", to)]))
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    }
    case "addon": {
      const result = await db
        .updateTable("addons")
        .set({ version: to, updated_at: now })
        .where("cluster_id", "=", context.clusterId)
        .where("name", "=", target.name)
        .where("version", "!=", to)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    }
    case "node": {
      const result = await db
        .updateTable("nodes")
        .set({ version: to, updated_at: now })
        .where("id", "=", target.id ?? "")
        .where("version", "!=", to)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    }
    default:
      return false;
  }
}

/** Records a target a real cluster reports done, so the store mirrors the cluster for the next plan. */
export async function recordTargetVersion(
  store: Store,
  context: StepContext,
  target: Readonly<PlanTarget>,
  now: number,
): Promise<void> {
  if (context.step.kind === "precheck" || context.step.kind === "backup") return;
  await store.groupCommit.run((trx) => changeTargetVersion(trx, context, target, now));
}
