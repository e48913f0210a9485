import { randomUUID } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { SimulatedApply } from "../drivers/simulated-cluster.js";
import { inTexts, rowsTable } from "./batch-values.js";
import type { DialectName } from "./database.js";
import type { MergedWrite } from "./group-commit.js";
import type { Database } from "./schema.js";

/** One simulated call to record, at the instant it was made. */
export interface TimedApply {
  readonly apply: SimulatedApply;
  readonly now: number;
}

/** What an admission needs of a call: its task and its worker's fencing token, if it has one. */
type FencedCall = Pick<SimulatedApply, "taskId" | "fence">;

type Admission = "admitted" | "fenced" | "gone";

/**
 * A batch's simulated calls in a fixed number of statements, whatever its size (on PostgreSQL each is a round trip,
 * on SQLite each costs the main thread): admit their fences, read the targets' versions, write the changed targets
 * and the log. A batch holding two workers of one task admits the newer one only, as if its calls came first: the
 * calls were concurrent, so that is an order they could have had.
 */
function simulatedApplies(dialect: DialectName): MergedWrite<TimedApply, boolean> {
  return {
    async writeAll(trx, applies) {
      const admissions = await admitAll(
        dialect,
        trx,
        applies.map(({ apply }) => apply),
      );
      const versions = await targetVersions(
        dialect,
        trx,
        applies.filter((_, i) => admissions[i] === "admitted").map(({ apply }) => apply),
      );
      const logs: LogRow[] = [];
      const changed = new Map<string, TimedApply>();
      applies.forEach((timed, i) => {
        const admission = admissions[i];
        // The task was deleted (its project reset): its worker leaves no trace at all.
        if (admission === "gone") return;
        const { apply } = timed;
        const key = targetKey(apply);
        const changes = admission === "admitted" && !apply.failed && versions.get(key) !== apply.toVersion;
        if (changes) {
          versions.set(key, apply.toVersion);
          changed.set(key, timed);
        }
        const outcome = admission === "fenced" ? "fenced" : apply.failed ? "failed" : changes ? "changed" : "unchanged";
        logs.push({ timed, outcome });
      });
      await upsertTargets(dialect, trx, [...changed.values()]);
      await insertLogs(dialect, trx, logs);
      return admissions.map((admission) => admission === "admitted");
    },
  };
}

/** The simulator's calls as one kind of group-commit unit, per dialect. */
export const SIMULATED_APPLIES: Record<DialectName, MergedWrite<TimedApply, boolean>> = {
  sqlite: simulatedApplies("sqlite"),
  postgres: simulatedApplies("postgres"),
};

/** A takeover's admission of its fencing token, with no call: later calls of older workers are fenced. */
export async function admitFence(
  dialect: DialectName,
  trx: Transaction<Database>,
  taskId: string,
  fence: number,
): Promise<void> {
  await admitAll(dialect, trx, [{ taskId, fence }]);
}

const targetKey = (target: { clusterId: string; kind: string; name: string }) =>
  `${target.clusterId}\n${target.kind}\n${target.name}`;

/**
 * Each call's admission: `gone` when its task no longer exists, `fenced` when the task's remembered fencing token is
 * higher than the call's. Calls without a token are admitted as they are.
 */
async function admitAll(
  dialect: DialectName,
  trx: Transaction<Database>,
  calls: readonly FencedCall[],
): Promise<Admission[]> {
  const fenced = calls.filter((call) => call.fence !== undefined);
  if (fenced.length === 0) return calls.map(() => "admitted");
  const existing = await existingTasks(dialect, trx, [...new Set(fenced.map((call) => call.taskId))].sort());
  const seen = await raiseFences(
    dialect,
    trx,
    fenced.filter((call) => existing.has(call.taskId)),
  );
  return calls.map((call) => {
    if (call.fence === undefined) return "admitted";
    if (!existing.has(call.taskId)) return "gone";
    return (seen.get(call.taskId) ?? Number.POSITIVE_INFINITY) <= call.fence ? "admitted" : "fenced";
  });
}

/**
 * Which of the tasks (upgrade, backup or pre-check) exist. PostgreSQL key-share locks them in ID order until the batch
 * commits: a reset deleting one waits for it, or it waits for the reset and then finds no task. The engine's updates
 * of a task take no conflicting lock. SQLite has one writer.
 */
async function existingTasks(
  dialect: DialectName,
  trx: Transaction<Database>,
  taskIds: readonly string[],
): Promise<Set<string>> {
  const lock = dialect === "postgres" ? sql`for key share` : sql``;
  const found = new Set<string>();
  for (const table of ["upgrade_tasks", "snapshot_tasks", "precheck_tasks"] as const) {
    const missing = taskIds.filter((id) => !found.has(id));
    if (missing.length === 0) break;
    const { rows } = await sql<{ id: string }>`
      select id from ${sql.table(table)} where id ${inTexts(dialect, missing)} order by id ${lock}`.execute(trx);
    for (const row of rows) found.add(row.id);
  }
  return found;
}

/** Raises each task's remembered fencing token to the highest of the batch's calls; the tokens as they are now. */
async function raiseFences(
  dialect: DialectName,
  trx: Transaction<Database>,
  calls: readonly FencedCall[],
): Promise<Map<string, number>> {
  if (calls.length === 0) return new Map();
  const fences = rowsTable(dialect, calls, { task_id: ["text", (c) => c.taskId], fence: ["bigint", (c) => c.fence] });
  // Rows in ID order: writers of other batches lock them in the same order.
  await sql`
    insert into simulated_fences (task_id, fence)
    select task_id, max(fence) from ${fences}
    group by task_id order by task_id
    on conflict (task_id) do update set fence = excluded.fence where simulated_fences.fence < excluded.fence`.execute(
    trx,
  );
  const ids = calls.map((call) => call.taskId);
  const { rows } = await sql<{ task_id: string; fence: number }>`
    select task_id, fence from simulated_fences where task_id ${inTexts(dialect, ids)}`.execute(trx);
  return new Map(rows.map((row) => [row.task_id, row.fence]));
}

/** The versions the simulator holds for the calls' targets, by `targetKey`. */
async function targetVersions(
  dialect: DialectName,
  trx: Transaction<Database>,
  applies: readonly SimulatedApply[],
): Promise<Map<string, string>> {
  if (applies.length === 0) return new Map();
  const targets = rowsTable(dialect, applies, {
    cluster_id: ["text", (a) => a.clusterId],
    kind: ["text", (a) => a.kind],
    name: ["text", (a) => a.name],
  });
  const { rows } = await sql<{ cluster_id: string; kind: string; name: string; version: string }>`
    select s.cluster_id, s.kind, s.name, s.version from simulated_targets s
    join ${targets} on s.cluster_id = v.cluster_id and s.kind = v.kind and s.name = v.name`.execute(trx);
  return new Map(
    rows.map((row) => [targetKey({ clusterId: row.cluster_id, kind: row.kind, name: row.name }), row.version]),
  );
}

/** The targets the calls changed, one row each (the batch's last call of a target), in key order. */
async function upsertTargets(
  dialect: DialectName,
  trx: Transaction<Database>,
  changed: readonly TimedApply[],
): Promise<void> {
  if (changed.length === 0) return;
  const targets = rowsTable(dialect, changed, {
    cluster_id: ["text", ({ apply }) => apply.clusterId],
    kind: ["text", ({ apply }) => apply.kind],
    name: ["text", ({ apply }) => apply.name],
    version: ["text", ({ apply }) => apply.toVersion],
    updated_at: ["bigint", ({ now }) => now],
  });
  await sql`
    insert into simulated_targets (cluster_id, kind, name, version, updated_at)
    select * from ${targets}
    order by 1, 2, 3
    on conflict (cluster_id, kind, name) do update set version = excluded.version, updated_at = excluded.updated_at`.execute(
    trx,
  );
}

interface LogRow {
  readonly timed: TimedApply;
  readonly outcome: string;
}

/** One log row per call whose task exists, in the calls' order. */
async function insertLogs(dialect: DialectName, trx: Transaction<Database>, logs: readonly LogRow[]): Promise<void> {
  if (logs.length === 0) return;
  const rows = rowsTable(dialect, logs, {
    id: ["text", () => randomUUID()],
    cluster_id: ["text", ({ timed }) => timed.apply.clusterId],
    task_id: ["text", ({ timed }) => timed.apply.taskId],
    step_index: ["integer", ({ timed }) => timed.apply.stepIndex],
    step_kind: ["text", ({ timed }) => timed.apply.kind],
    target: ["text", ({ timed }) => timed.apply.target],
    run: ["integer", ({ timed }) => timed.apply.run],
    attempt: ["integer", ({ timed }) => timed.apply.attempt],
    outcome: ["text", (log) => log.outcome],
    from_version: ["text", ({ timed }) => timed.apply.fromVersion],
    to_version: ["text", ({ timed }) => timed.apply.toVersion],
    at: ["bigint", ({ timed }) => timed.now],
  });
  await sql`
    insert into simulator_apply_log
      (id, cluster_id, task_id, step_index, step_kind, target, run, attempt, outcome, from_version, to_version, at)
    select * from ${rows}`.execute(trx);
}
