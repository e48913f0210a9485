import { type Kysely, sql, type Transaction } from "kysely";
import type { UpgradeTaskPhase } from "../domain/upgrade-task.js";
import type { CommitOutcome, Lease, ReachedTarget, TaskChange } from "../engine/ports.js";
import type { MergedWrite } from "./group-commit.js";
import type { Database } from "./schema.js";
import { recordReachedTargets } from "./target-versions.js";

/** Phases a worker keeps its lease through; any other phase ends the worker's hold on the task. */
const HELD_PHASES = new Set(["Init", "Queuing", "Running"]);

/** One engine commit: a change to a task under its lease. */
export interface TaskCommit {
  readonly lease: Lease;
  readonly change: TaskChange;
  readonly nowMicros: number;
}

/** The task as its guard read it, under the lease and locked. */
interface Guarded {
  readonly requested_control: string | null;
  readonly progress: number;
  readonly cluster_id: string;
}

/** What a commit writes to its task row, decided from the row it guarded. */
interface TaskRowWrite {
  readonly phase: UpgradeTaskPhase;
  readonly plan: string;
  readonly progress: number;
  readonly held: boolean;
}

/** A pending pause turns `Running` into `Pause` when the change allows it; progress never goes back. */
function taskRowWrite(commit: TaskCommit, current: Guarded): TaskRowWrite {
  const { change } = commit;
  const pausing = change.honourPause && change.phase === "Running" && current.requested_control === "pause";
  const phase = pausing ? "Pause" : change.phase;
  return {
    phase,
    plan: JSON.stringify(pausing && change.planIfPaused ? change.planIfPaused() : change.plan),
    progress: Math.max(current.progress, change.progress),
    held: HELD_PHASES.has(phase),
  };
}

/**
 * One commit in its own statements (SQLite's way: a statement is no round trip there): check the lease, write the task
 * and the cluster with it. Zero rows under the lease means another worker has the task: nothing is written.
 */
export async function writeTaskCommit(trx: Kysely<Database>, commit: TaskCommit): Promise<CommitOutcome> {
  const { lease, change, nowMicros } = commit;
  const current = await trx
    .selectFrom("upgrade_tasks")
    .select(["requested_control", "progress", "cluster_id"])
    .where("id", "=", lease.taskId)
    .where("lease_owner", "=", lease.owner)
    .where("fence", "=", lease.fence)
    .executeTakeFirst();
  if (!current) return "lost";
  const write = taskRowWrite(commit, current);
  await trx
    .updateTable("upgrade_tasks")
    .set({
      phase: write.phase,
      plan: write.plan,
      step_cursor: change.cursor,
      progress: write.progress,
      ...(change.failureReason !== undefined && { failure_reason: change.failureReason }),
      ...(change.completedAt !== undefined && { completed_at: change.completedAt }),
      requested_control: write.held ? current.requested_control : null,
      lease_owner: write.held ? lease.owner : null,
      lease_expires_at: write.held ? undefined : null,
      fence: sql`fence + 1`,
      updated_at: nowMicros,
    })
    .where("id", "=", lease.taskId)
    .execute();
  if (change.reached?.length) await recordReachedTargets(trx, current.cluster_id, change.reached, nowMicros);
  await updateCluster(trx, current.cluster_id, commit);
  return { phase: write.phase };
}

/**
 * PostgreSQL: a batch's commits in a fixed number of statements, whatever its size (each a round trip): one guard
 * for all, one update of all their tasks, then one per kind of reached target and one for the clusters. Values go as
 * arrays (`unnest`), so each statement's text, and its plan, is the same for every batch.
 */
export const POSTGRES_TASK_COMMITS: MergedWrite<TaskCommit, CommitOutcome> = {
  async writeAll(trx, commits) {
    const guarded = await guardAll(trx, commits);
    const held = commits.flatMap((commit) => {
      const current = guarded.get(guardKey(commit.lease));
      return current ? [{ commit, current, write: taskRowWrite(commit, current) }] : [];
    });
    if (held.length > 0) await updateTasks(trx, held);
    const ofClusters = held.map(({ commit, current }) => ({ clusterId: current.cluster_id, commit }));
    await recordAllReached(trx, ofClusters);
    await updateAllClusters(trx, ofClusters);
    const outcomes = new Map(held.map(({ commit, write }) => [commit, { phase: write.phase }]));
    return commits.map((commit) => outcomes.get(commit) ?? "lost");
  },
};

const guardKey = (lease: Lease) => `${lease.taskId}\n${lease.owner}\n${lease.fence}`;

/**
 * The tasks still under their commits' leases, locked in ID order (so writers of other batches lock in the same
 * order). No key update: it orders commits of a task without waiting on the simulator's key-share check of it.
 */
async function guardAll(trx: Transaction<Database>, commits: readonly TaskCommit[]): Promise<Map<string, Guarded>> {
  const leases = commits.map((commit) => commit.lease);
  const { rows } = await sql<Guarded & { id: string; lease_owner: string; fence: number }>`
    select t.id, t.lease_owner, t.fence, t.requested_control, t.progress, t.cluster_id
    from upgrade_tasks t
    join unnest(${leases.map((l) => l.taskId)}::text[], ${leases.map((l) => l.owner)}::text[],
      ${leases.map((l) => l.fence)}::bigint[]) as v(id, owner, fence)
      on t.id = v.id and t.lease_owner = v.owner and t.fence = v.fence
    order by t.id
    for no key update of t`.execute(trx);
  return new Map(rows.map((row) => [guardKey({ taskId: row.id, owner: row.lease_owner, fence: row.fence }), row]));
}

interface HeldCommit {
  readonly commit: TaskCommit;
  readonly current: Guarded;
  readonly write: TaskRowWrite;
}

/** Every guarded task's row; a column the change leaves out (failure reason, completion) keeps its value. */
async function updateTasks(trx: Transaction<Database>, held: readonly HeldCommit[]): Promise<void> {
  const column = <T>(pick: (item: HeldCommit) => T) => held.map(pick);
  const change = (item: HeldCommit) => item.commit.change;
  await sql`
    update upgrade_tasks as t set
      phase = v.phase, plan = v.plan, step_cursor = v.cursor, progress = v.progress,
      failure_reason = case when v.sets_failure_reason then v.failure_reason else t.failure_reason end,
      completed_at = case when v.sets_completed_at then v.completed_at else t.completed_at end,
      requested_control = case when v.held then t.requested_control end,
      lease_owner = case when v.held then t.lease_owner end,
      lease_expires_at = case when v.held then t.lease_expires_at end,
      fence = t.fence + 1,
      updated_at = v.now
    from unnest(
      ${column((i) => i.commit.lease.taskId)}::text[], ${column((i) => i.write.phase)}::text[],
      ${column((i) => i.write.plan)}::text[], ${column((i) => change(i).cursor)}::integer[],
      ${column((i) => i.write.progress)}::integer[],
      ${column((i) => change(i).failureReason !== undefined)}::boolean[],
      ${column((i) => change(i).failureReason ?? null)}::text[],
      ${column((i) => change(i).completedAt !== undefined)}::boolean[],
      ${column((i) => change(i).completedAt ?? null)}::bigint[],
      ${column((i) => i.write.held)}::boolean[], ${column((i) => i.commit.nowMicros)}::bigint[]
    ) as v(id, phase, plan, cursor, progress, sets_failure_reason, failure_reason, sets_completed_at, completed_at,
      held, now)
    where t.id = v.id`.execute(trx);
}

interface ClusterCommit {
  readonly clusterId: string;
  readonly commit: TaskCommit;
}

/** A reached target with the cluster and instant of the commit that carries it. */
interface ReachedRow extends ReachedTarget {
  readonly clusterId: string;
  readonly now: number;
}

/** The versions every commit's steps reached: one statement for the nodes, one for control planes, one for add-ons. */
async function recordAllReached(trx: Transaction<Database>, commits: readonly ClusterCommit[]): Promise<void> {
  const rows: ReachedRow[] = commits.flatMap(({ clusterId, commit }) =>
    (commit.change.reached ?? []).map((target) => ({ ...target, clusterId, now: commit.nowMicros })),
  );
  const ofKind = (kind: string) => rows.filter((row) => row.kind === kind);
  const nodes = ofKind("node");
  if (nodes.length > 0) {
    await sql`
      update nodes as n set version = v.version, updated_at = v.now
      from unnest(${nodes.map((r) => r.clusterId)}::text[], ${nodes.map((r) => r.key)}::text[],
        ${nodes.map((r) => r.version)}::text[], ${nodes.map((r) => r.now)}::bigint[]) as v(cluster_id, id, version, now)
      where n.cluster_id = v.cluster_id and n.id = v.id`.execute(trx);
  }
  const masters = ofKind("master");
  if (masters.length > 0) {
    await sql`
      update clusters as c set control_plane_version = v.version, updated_at = v.now
      from unnest(${masters.map((r) => r.clusterId)}::text[], ${masters.map((r) => r.version)}::text[],
        ${masters.map((r) => r.now)}::bigint[]) as v(id, version, now)
      where c.id = v.id`.execute(trx);
  }
  const addons = ofKind("addon");
  if (addons.length > 0) {
    await sql`
      update addons as a set version = v.version, updated_at = v.now
      from unnest(${addons.map((r) => r.clusterId)}::text[], ${addons.map((r) => r.key)}::text[],
        ${addons.map((r) => r.version)}::text[], ${addons.map((r) => r.now)}::bigint[]) as v(cluster_id, name, version, now)
      where a.cluster_id = v.cluster_id and a.name = v.name`.execute(trx);
  }
}

/** The cluster a single commit changes; a new version clears the control plane's own (the cluster runs it whole). */
async function updateCluster(trx: Kysely<Database>, clusterId: string, commit: TaskCommit): Promise<void> {
  const { cluster } = commit.change;
  if (!cluster) return;
  await trx
    .updateTable("clusters")
    .set({
      phase: cluster.phase,
      status_reason: cluster.statusReason,
      ...(cluster.version && { version: cluster.version, control_plane_version: null }),
      ...(cluster.platformVersion && { platform_version: cluster.platformVersion }),
      updated_at: commit.nowMicros,
    })
    .where("id", "=", clusterId)
    .execute();
}

/** `updateCluster` for all the batch's commits that change their cluster, in one statement. */
async function updateAllClusters(trx: Transaction<Database>, commits: readonly ClusterCommit[]): Promise<void> {
  const changing = commits.flatMap(({ clusterId, commit }) =>
    commit.change.cluster ? [{ clusterId, now: commit.nowMicros, ...commit.change.cluster }] : [],
  );
  if (changing.length === 0) return;
  const column = <T>(pick: (item: (typeof changing)[number]) => T) => changing.map(pick);
  await sql`
    update clusters as c set
      phase = v.phase, status_reason = v.status_reason,
      version = coalesce(v.version, c.version),
      control_plane_version = case when v.version is null then c.control_plane_version end,
      platform_version = coalesce(v.platform_version, c.platform_version),
      updated_at = v.now
    from unnest(${column((c) => c.clusterId)}::text[], ${column((c) => c.phase)}::text[],
      ${column((c) => c.statusReason)}::text[], ${column((c) => c.version || null)}::text[],
      ${column((c) => c.platformVersion || null)}::text[], ${column((c) => c.now)}::bigint[])
      as v(id, phase, status_reason, version, platform_version, now)
    where c.id = v.id`.execute(trx);
}
