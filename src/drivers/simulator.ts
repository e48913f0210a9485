import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { BoundedMap } from "../domain/bounded-map.js";
import type { Clock } from "../domain/clock.js";
import type { PlanTarget, StepKind } from "../domain/upgrade-plan.js";
import type { ClusterDriver, StepContext, TargetOutcome } from "../engine/ports.js";
import type { Store } from "../store/database.js";
import type { FaultRow } from "../store/fault-queries.js";
import type { Database } from "../store/schema.js";
import { changeTargetVersion } from "../store/target-versions.js";

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
 * A cluster that exists only in the database: steps take simulated time, change versions in the store, and record
 * each change in `simulator_events`. Every effect is a conditional update, so a step repeated after a crash, or run
 * by a worker that lost its lease, changes nothing a second time.
 */
export class SimulatorDriver implements ClusterDriver {
  readonly #faultCache = new BoundedMap<string, Promise<FaultRow[]>>(4096);

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: SimulatorOptions,
  ) {}

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  async observe(context: StepContext, target: Readonly<PlanTarget>): Promise<boolean> {
    const { db } = this;
    switch (context.step.kind) {
      case "precheck":
        return false;
      case "backup":
        return (await this.eventsFor(context, target.name)) > 0;
      case "master": {
        const row = await db
          .selectFrom("clusters")
          .select("control_plane_version")
          .where("id", "=", context.clusterId)
          .executeTakeFirst();
        return row?.control_plane_version === target.toVersion;
      }
      case "addon": {
        const row = await db
          .selectFrom("addons")
          .select("version")
          .where("cluster_id", "=", context.clusterId)
          .where("name", "=", target.name)
          .executeTakeFirst();
        return row?.version === target.toVersion;
      }
      case "node": {
        const row = await db
          .selectFrom("nodes")
          .select("version")
          .where("id", "=", target.id ?? "")
          .executeTakeFirst();
        return row?.version === target.toVersion;
      }
    }
  }

  async apply(context: StepContext, target: Readonly<PlanTarget>, signal: AbortSignal): Promise<TargetOutcome> {
    const durationMs = SIMULATED_STEP_MS[context.step.kind] / this.options.speed;
    if (durationMs > 0) await this.clock.sleep(durationMs, signal);
    const fault = await this.takeFault(context, target.name);
    if (fault?.mode === "stall") await this.stallWhile(fault.id, fault.stall_ms, signal);
    if (fault?.mode === "fail") {
      return {
        ok: false,
        failure: { code: fault.error_code, message: fault.message, retryable: fault.retryable === 1 },
      };
    }
    await this.makeChange(context, target);
    return { ok: true };
  }

  private async eventsFor(context: StepContext, target: string): Promise<number> {
    const rows = await this.db
      .selectFrom("simulator_events")
      .select("id")
      .where("task_id", "=", context.taskId)
      .where("step", "=", context.step.kind)
      .where("target", "=", target)
      .execute();
    return rows.length;
  }

  /** Consumes one attempt of the first matching fault rule, if any; most steps meet none and write nothing. */
  private async takeFault(context: StepContext, target: string): Promise<FaultRow | undefined> {
    const candidates = (await this.faultsOfStep(context)).filter(
      (rule) => rule.target === null || rule.target === target,
    );
    for (const rule of candidates) {
      const taken = await this.store.groupCommit.run((trx) =>
        trx
          .updateTable("cluster_faults")
          .set((eb) => ({ remaining: eb("remaining", "-", 1) }))
          .where("id", "=", rule.id)
          .where("remaining", ">", 0)
          .executeTakeFirst(),
      );
      if (taken.numUpdatedRows > 0n) return rule;
    }
    return undefined;
  }

  /** The armed fault rules for a step attempt, read once for all its targets (a batch has many). */
  private faultsOfStep(context: StepContext): Promise<FaultRow[]> {
    const key = `${context.taskId}/${context.stepIndex}/${context.attempt}`;
    let rules = this.#faultCache.get(key);
    if (!rules) {
      rules = this.db
        .selectFrom("cluster_faults")
        .selectAll()
        .where("cluster_id", "=", context.clusterId)
        .where("step", "=", context.step.kind)
        .where("remaining", ">", 0)
        .orderBy("created_at")
        .execute();
      this.#faultCache.set(key, rules);
    }
    return rules;
  }

  /** A stall holds the step until its time is up or the fault is deleted. */
  private async stallWhile(faultId: string, stallMs: number, signal: AbortSignal): Promise<void> {
    const pollMs = this.options.stallPollMs ?? 200;
    for (let waited = 0; waited < stallMs; waited += pollMs) {
      const exists = await this.db
        .selectFrom("cluster_faults")
        .select("id")
        .where("id", "=", faultId)
        .executeTakeFirst();
      if (!exists) return;
      await this.clock.sleep(pollMs, signal);
    }
  }

  /** The step's effect and its record, in one transaction; a change already made is not made again. */
  private async makeChange(context: StepContext, target: Readonly<PlanTarget>): Promise<void> {
    const now = this.clock.nowMicros();
    await this.store.groupCommit.run(async (trx) => {
      const event = {
        id: randomUUID(),
        cluster_id: context.clusterId,
        task_id: context.taskId,
        step: context.step.kind,
        target: target.name,
        from_version: target.fromVersion,
        to_version: target.toVersion,
        at: now,
      };
      if (context.step.kind === "backup") {
        // The backup is its record: taking it twice would leave two.
        await trx
          .insertInto("simulator_events")
          .values(event)
          .onConflict((oc) => oc.doNothing())
          .execute();
        return;
      }
      const changed = await changeTargetVersion(trx, context, target, now);
      if (changed) await trx.insertInto("simulator_events").values(event).execute();
    });
  }
}
