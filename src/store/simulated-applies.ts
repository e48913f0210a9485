import { randomUUID } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { SimulatedApply } from "../drivers/simulated-cluster.js";
import type { MergedWrite } from "./group-commit.js";
import type { Database } from "./schema.js";

/** One simulated call to record, at the instant it was made. */
export interface TimedApply {
  readonly apply: SimulatedApply;
  readonly now: number;
}

type Admission = "admitted" | "fenced" | "gone";

/**
 * PostgreSQL: a batch's simulated calls in a fixed number of statements (each is a round trip): admit their fences,
 * read the targets' versions, write the changed targets and the log. A batch holding two workers of one task admits
 * the newer one only, as if its calls came first: the calls were concurrent, so that is an order they could have had.
 */
export const POSTGRES_SIMULATED_APPLIES: MergedWrite<TimedApply, boolean> = {
  async writeAll(trx, applies) {
    const admissions = await admitAll(
      trx,
      applies.map(({ apply }) => apply),
    );
    const versions = await targetVersions(
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
    await upsertTargets(trx, [...changed.values()]);
    await insertLogs(trx, logs);
    return admissions.map((admission) => admission === "admitted");
  },
};

const targetKey = (target: { clusterId: string; kind: string; name: string }) =>
  `${target.clusterId}\n${target.kind}\n${target.name}`;

/**
 * Each call's admission: `gone` when its task no longer exists, `fenced` when the task's remembered fencing token is
 * higher than the call's. Calls without a token are admitted as they are.
 */
async function admitAll(trx: Transaction<Database>, applies: readonly SimulatedApply[]): Promise<Admission[]> {
  const fenced = applies.filter((apply) => apply.fence !== undefined);
  if (fenced.length === 0) return applies.map(() => "admitted");
  const existing = await existingTasks(trx, [...new Set(fenced.map((apply) => apply.taskId))].sort());
  const seen = await raiseFences(
    trx,
    fenced.filter((apply) => existing.has(apply.taskId)),
  );
  return applies.map((apply) => {
    if (apply.fence === undefined) return "admitted";
    if (!existing.has(apply.taskId)) return "gone";
    return (seen.get(apply.taskId) ?? Number.POSITIVE_INFINITY) <= apply.fence ? "admitted" : "fenced";
  });
}

/**
 * Which of the tasks (upgrade, backup or pre-check) exist, key-share locked in ID order until the batch commits: a
 * reset deleting one waits for it, or it waits for the reset and then finds no task. The engine's updates of a task
 * take no conflicting lock.
 */
async function existingTasks(trx: Transaction<Database>, taskIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const table of ["upgrade_tasks", "snapshot_tasks", "precheck_tasks"] as const) {
    const missing = taskIds.filter((id) => !found.has(id));
    if (missing.length === 0) break;
    const { rows } = await sql<{ id: string }>`
      select id from ${sql.table(table)} where id = any(${missing}::text[]) order by id for key share`.execute(trx);
    for (const row of rows) found.add(row.id);
  }
  return found;
}

/** Raises each task's remembered fencing token to the highest of the batch's calls; the tokens as they are now. */
async function raiseFences(
  trx: Transaction<Database>,
  applies: readonly SimulatedApply[],
): Promise<Map<string, number>> {
  if (applies.length === 0) return new Map();
  const ids = applies.map((apply) => apply.taskId);
  // Rows in ID order: writers of other batches lock them in the same order.
  await sql`
    insert into simulated_fences (task_id, fence)
    select task_id, max(fence) from unnest(${ids}::text[], ${applies.map((a) => a.fence)}::bigint[]) as v(task_id, fence)
    group by task_id order by task_id
    on conflict (task_id) do update set fence = excluded.fence where simulated_fences.fence < excluded.fence`.execute(
    trx,
  );
  const { rows } = await sql<{ task_id: string; fence: number }>`
    select task_id, fence from simulated_fences where task_id = any(${ids}::text[])`.execute(trx);
  return new Map(rows.map((row) => [row.task_id, row.fence]));
}

/** The versions the simulator holds for the calls' targets, by `targetKey`. */
async function targetVersions(
  trx: Transaction<Database>,
  applies: readonly SimulatedApply[],
): Promise<Map<string, string>> {
  if (applies.length === 0) return new Map();
  const { rows } = await sql<{ cluster_id: string; kind: string; name: string; version: string }>`
    select s.cluster_id, s.kind, s.name, s.version from simulated_targets s
    join unnest(${applies.map((a) => a.clusterId)}::text[], ${applies.map((a) => a.kind)}::text[],
      ${applies.map((a) => a.name)}::text[]) as v(cluster_id, kind, name)
      on s.cluster_id = v.cluster_id and s.kind = v.kind and s.name = v.name`.execute(trx);
  return new Map(
    rows.map((row) => [targetKey({ clusterId: row.cluster_id, kind: row.kind, name: row.name }), row.version]),
  );
}

/** The targets the calls changed, one row each (the batch's last call of a target), in key order. */
async function upsertTargets(trx: Transaction<Database>, changed: readonly TimedApply[]): Promise<void> {
  if (changed.length === 0) return;
  const column = <T>(pick: (apply: SimulatedApply) => T) => changed.map(({ apply }) => pick(apply));
  await sql`
    insert into simulated_targets (cluster_id, kind, name, version, updated_at)
    select * from unnest(${column((a) => a.clusterId)}::text[], ${column((a) => a.kind)}::text[],
      ${column((a) => a.name)}::text[], ${column((a) => a.toVersion)}::text[], ${changed.map((c) => c.now)}::bigint[])
    order by 1, 2, 3
    on conflict (cluster_id, kind, name) do update set version = excluded.version, updated_at = excluded.updated_at`.execute(
    trx,
  );
}

interface LogRow {
  readonly timed: TimedApply;
  readonly outcome: string;
}

/** One log row per call whose task exists. */
async function insertLogs(trx: Transaction<Database>, logs: readonly LogRow[]): Promise<void> {
  if (logs.length === 0) return;
  const column = <T>(pick: (apply: SimulatedApply) => T) => logs.map(({ timed }) => pick(timed.apply));
  await sql`
    insert into simulator_apply_log
      (id, cluster_id, task_id, step_index, step_kind, target, run, attempt, outcome, from_version, to_version, at)
    select * from unnest(${logs.map(() => randomUUID())}::text[], ${column((a) => a.clusterId)}::text[],
      ${column((a) => a.taskId)}::text[], ${column((a) => a.stepIndex)}::integer[], ${column((a) => a.kind)}::text[],
      ${column((a) => a.target)}::text[], ${column((a) => a.run)}::integer[], ${column((a) => a.attempt)}::integer[],
      ${logs.map((log) => log.outcome)}::text[], ${column((a) => a.fromVersion)}::text[],
      ${column((a) => a.toVersion)}::text[], ${logs.map((log) => log.timed.now)}::bigint[])`.execute(trx);
}
