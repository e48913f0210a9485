import { sql, type Transaction } from "kysely";
import type { UpgradeTaskPhase } from "../domain/upgrade-task.js";
import type { CommitOutcome, Lease, ReachedTarget, TaskChange } from "../engine/ports.js";
import { rowsTable } from "./batch-values.js";
import type { DialectName } from "./database.js";
import type { MergedWrite } from "./group-commit.js";
import type { Database } from "./schema.js";

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
 * A batch's commits in a fixed number of statements, whatever its size (on PostgreSQL each is a round trip, on SQLite
 * each costs the main thread): one guard for all, one update of all their tasks, then one per kind of reached target
 * and one for the clusters. Zero rows under a commit's lease means another worker has the task: nothing is written.
 */
function taskCommits(dialect: DialectName): MergedWrite<TaskCommit, CommitOutcome> {
  return {
    async writeAll(trx, commits) {
      const guarded = await guardAll(dialect, trx, commits);
      const held = commits.flatMap((commit) => {
        const current = guarded.get(guardKey(commit.lease));
        return current ? [{ commit, current, write: taskRowWrite(commit, current) }] : [];
      });
      if (held.length > 0) await updateTasks(dialect, trx, held);
      const ofClusters = held.map(({ commit, current }) => ({ clusterId: current.cluster_id, commit }));
      await recordAllReached(dialect, trx, ofClusters);
      await updateAllClusters(dialect, trx, ofClusters);
      const outcomes = new Map(held.map(({ commit, write }) => [commit, { phase: write.phase }]));
      return commits.map((commit) => outcomes.get(commit) ?? "lost");
    },
  };
}

/** The engine's commits as one kind of group-commit unit, per dialect. */
export const TASK_COMMITS: Record<DialectName, MergedWrite<TaskCommit, CommitOutcome>> = {
  sqlite: taskCommits("sqlite"),
  postgres: taskCommits("postgres"),
};

const guardKey = (lease: Lease) => `${lease.taskId}\n${lease.owner}\n${lease.fence}`;

/**
 * The tasks still under their commits' leases. PostgreSQL locks them in ID order (so writers of other batches lock in
 * the same order), with no key update: it orders commits of a task without waiting on the simulator's key-share check
 * of it. SQLite has one writer.
 */
async function guardAll(
  dialect: DialectName,
  trx: Transaction<Database>,
  commits: readonly TaskCommit[],
): Promise<Map<string, Guarded>> {
  const leases = rowsTable(dialect, commits, {
    id: ["text", ({ lease }) => lease.taskId],
    owner: ["text", ({ lease }) => lease.owner],
    fence: ["bigint", ({ lease }) => lease.fence],
  });
  const lock = dialect === "postgres" ? sql`for no key update of t` : sql``;
  const { rows } = await sql<Guarded & { id: string; lease_owner: string; fence: number }>`
    select t.id, t.lease_owner, t.fence, t.requested_control, t.progress, t.cluster_id
    from upgrade_tasks t
    join ${leases} on t.id = v.id and t.lease_owner = v.owner and t.fence = v.fence
    order by t.id
    ${lock}`.execute(trx);
  return new Map(rows.map((row) => [guardKey({ taskId: row.id, owner: row.lease_owner, fence: row.fence }), row]));
}

interface HeldCommit {
  readonly commit: TaskCommit;
  readonly current: Guarded;
  readonly write: TaskRowWrite;
}

/** Every guarded task's row; a column the change leaves out (failure reason, completion) keeps its value. */
async function updateTasks(
  dialect: DialectName,
  trx: Transaction<Database>,
  held: readonly HeldCommit[],
): Promise<void> {
  const rows = rowsTable(dialect, held, {
    id: ["text", ({ commit }) => commit.lease.taskId],
    phase: ["text", ({ write }) => write.phase],
    plan: ["text", ({ write }) => write.plan],
    cursor: ["integer", ({ commit }) => commit.change.cursor],
    progress: ["integer", ({ write }) => write.progress],
    sets_failure_reason: ["boolean", ({ commit }) => commit.change.failureReason !== undefined],
    failure_reason: ["text", ({ commit }) => commit.change.failureReason ?? null],
    sets_completed_at: ["boolean", ({ commit }) => commit.change.completedAt !== undefined],
    completed_at: ["bigint", ({ commit }) => commit.change.completedAt ?? null],
    held: ["boolean", ({ write }) => write.held],
    now: ["bigint", ({ commit }) => commit.nowMicros],
  });
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
    from ${rows}
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
async function recordAllReached(
  dialect: DialectName,
  trx: Transaction<Database>,
  commits: readonly ClusterCommit[],
): Promise<void> {
  const rows: ReachedRow[] = commits.flatMap(({ clusterId, commit }) =>
    (commit.change.reached ?? []).map((target) => ({ ...target, clusterId, now: commit.nowMicros })),
  );
  const ofKind = (kind: string) => rows.filter((row) => row.kind === kind);
  const clusterId = ["text", (r: ReachedRow) => r.clusterId] as const;
  const version = ["text", (r: ReachedRow) => r.version] as const;
  const now = ["bigint", (r: ReachedRow) => r.now] as const;
  const nodes = ofKind("node");
  if (nodes.length > 0) {
    await sql`
      update nodes as n set version = v.version, updated_at = v.now
      from ${rowsTable(dialect, nodes, { cluster_id: clusterId, id: ["text", (r) => r.key], version, now })}
      where n.cluster_id = v.cluster_id and n.id = v.id`.execute(trx);
  }
  const masters = ofKind("master");
  if (masters.length > 0) {
    await sql`
      update clusters as c set control_plane_version = v.version, updated_at = v.now
      from ${rowsTable(dialect, masters, { id: clusterId, version, now })}
      where c.id = v.id`.execute(trx);
  }
  const addons = ofKind("addon");
  if (addons.length > 0) {
    await sql`
      update addons as a set version = v.version, updated_at = v.now
      from ${rowsTable(dialect, addons, { cluster_id: clusterId, name: ["text", (r) => r.key], version, now })}
      where a.cluster_id = v.cluster_id and a.name = v.name`.execute(trx);
  }
}

/**
 * The clusters of all the batch's commits that change theirs, in one statement; a new version clears the control
 * plane's own (the cluster runs it whole).
 */
async function updateAllClusters(
  dialect: DialectName,
  trx: Transaction<Database>,
  commits: readonly ClusterCommit[],
): Promise<void> {
  const changing = commits.flatMap(({ clusterId, commit }) =>
    commit.change.cluster ? [{ clusterId, now: commit.nowMicros, ...commit.change.cluster }] : [],
  );
  if (changing.length === 0) return;
  const rows = rowsTable(dialect, changing, {
    id: ["text", (c) => c.clusterId],
    phase: ["text", (c) => c.phase],
    status_reason: ["text", (c) => c.statusReason],
    version: ["text", (c) => c.version || null],
    platform_version: ["text", (c) => c.platformVersion || null],
    now: ["bigint", (c) => c.now],
  });
  await sql`
    update clusters as c set
      phase = v.phase, status_reason = v.status_reason,
      version = coalesce(v.version, c.version),
      control_plane_version = case when v.version is null then c.control_plane_version end,
      platform_version = coalesce(v.platform_version, c.platform_version),
      updated_at = v.now
    from ${rows}
    where c.id = v.id`.execute(trx);
}
