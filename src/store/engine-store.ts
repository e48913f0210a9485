import { type Kysely, type Selectable, sql } from "kysely";
import type { ClusterInventory, UpgradePlan } from "../domain/upgrade-plan.js";
import type { NormalizedUpgradeAction } from "../domain/upgrade-request.js";
import type { ClaimedTask, CommitOutcome, EngineStore, Lease, TaskChange } from "../engine/ports.js";
import { readCheckInventory } from "./check-inventory.js";
import type { Store } from "./database.js";
import type { Database, UpgradeTasksTable } from "./schema.js";
import { TASK_COMMITS, type TaskCommit } from "./task-commits.js";

/** The engine's queries, the same for both dialects except the claim's row locking. */
export function engineStore(store: Store): EngineStore {
  const { db } = store;
  return {
    async claimRunnableTasks(owner, nowMicros, leaseTtlMicros, limit, projectSlots = Number.MAX_SAFE_INTEGER) {
      // Most rounds find every runnable task held: asking that costs far less than the claim's windows over them all.
      if (!(await anyWaiting(db, nowMicros))) return [];
      const { rows } = await claimStatement(store.dialect, {
        owner,
        nowMicros,
        leaseExpiresAt: nowMicros + leaseTtlMicros,
        limit,
        projectSlots,
      }).execute(db);
      return rows.map((row) => toClaimedTask(row, owner));
    },

    async renewLease(lease, expiresAtMicros) {
      const result = await store.groupCommit.run((trx) =>
        trx
          .updateTable("upgrade_tasks")
          .set({ lease_expires_at: expiresAtMicros })
          .where("id", "=", lease.taskId)
          .where("lease_owner", "=", lease.owner)
          .where("fence", "=", lease.fence)
          .executeTakeFirst(),
      );
      return result.numUpdatedRows > 0n;
    },

    async releaseLease(lease) {
      await store.groupCommit.run((trx) =>
        trx
          .updateTable("upgrade_tasks")
          .set({ lease_owner: null, lease_expires_at: null, fence: sql`fence + 1` })
          .where("id", "=", lease.taskId)
          .where("lease_owner", "=", lease.owner)
          .where("fence", "=", lease.fence)
          .execute(),
      );
    },

    commit: (lease, change, nowMicros) => commitChange(store, lease, change, nowMicros),

    async clusterInventory(clusterId) {
      return readInventory(db, clusterId);
    },

    checkInventory: (clusterId) => readCheckInventory(db, clusterId),
  };
}

/** Phases a worker runs, as literals in the claim: only then can the partial index `upgrade_tasks_claim` serve it. */
const RUNNABLE = sql.join(["Init", "Queuing", "Running"].map((phase) => sql.lit(phase)));

/** A task is waiting when it is runnable and its lease is free or expired. */
function waitingSince(nowMicros: number) {
  return sql`(lease_expires_at is null or lease_expires_at <= ${nowMicros})`;
}

/** Whether any runnable task is waiting for a worker (one index walk, no windows). */
async function anyWaiting(db: Kysely<Database>, nowMicros: number): Promise<boolean> {
  const { rows } = await sql`select 1 from upgrade_tasks
    where phase in (${RUNNABLE}) and ${waitingSince(nowMicros)} limit 1`.execute(db);
  return rows.length > 0;
}

interface ClaimParams {
  readonly owner: string;
  readonly nowMicros: number;
  readonly leaseExpiresAt: number;
  readonly limit: number;
  readonly projectSlots: number;
}

/**
 * The claim, one statement over the runnable tasks (the partial index): per project, `held` counts the tasks this
 * worker holds and a waiting task (lease free or expired) is `within_share` while `held` plus its rank among the
 * project's waiting tasks, oldest first, stays within `projectSlots`. A waiting task beyond its project's share is
 * eligible only when no other project has one within its share, so a lone project may use every slot. The oldest
 * `limit` eligible tasks are leased. PostgreSQL locks them with `SKIP LOCKED`, so replicas claiming at once skip each
 * other's rows; SQLite has one writer.
 */
function claimStatement(dialect: Store["dialect"], p: ClaimParams) {
  const lock = dialect === "postgres" ? sql`for update skip locked` : sql``;
  const waiting = waitingSince(p.nowMicros);
  return sql<Selectable<UpgradeTasksTable>>`
    with ranked as (
      select id, project_id, waiting,
        case when waiting = 1 and held
          + sum(waiting) over (partition by project_id order by created_at, id rows unbounded preceding)
          <= ${p.projectSlots} then 1 else 0 end as within_share
      from (
        select id, project_id, created_at,
          case when ${waiting} then 1 else 0 end as waiting,
          sum(case when lease_owner = ${p.owner} and lease_expires_at > ${p.nowMicros} then 1 else 0 end)
            over (partition by project_id) as held
        from upgrade_tasks
        where phase in (${RUNNABLE})
      ) runnable
    ), eligible as (
      select id from (
        select id, waiting, within_share,
          sum(within_share) over () - sum(within_share) over (partition by project_id) as others_within_share
        from ranked
      ) shared
      where waiting = 1 and (within_share = 1 or others_within_share = 0)
    )
    update upgrade_tasks set lease_owner = ${p.owner}, lease_expires_at = ${p.leaseExpiresAt}, fence = fence + 1
    where id in (
      select id from upgrade_tasks
      where id in (select id from eligible) and phase in (${RUNNABLE}) and ${waiting}
      order by created_at, id
      limit ${p.limit}
      ${lock}
    )
    returning *`;
}

function toClaimedTask(row: Selectable<UpgradeTasksTable>, owner: string): ClaimedTask {
  return {
    id: row.id,
    projectId: row.project_id,
    clusterId: row.cluster_id,
    phase: row.phase,
    fromVersion: row.from_version,
    targetVersion: row.target_version,
    targetPlatformVersion: row.target_platform_version,
    action: JSON.parse(row.request) as NormalizedUpgradeAction,
    plan: row.plan === null ? null : (JSON.parse(row.plan) as UpgradePlan),
    cursor: row.step_cursor,
    pauseRequested: row.requested_control === "pause",
    lease: { taskId: row.id, owner, fence: row.fence },
  };
}

/**
 * One transaction shared with other units of work: check the lease, write the task (turning a pending pause into
 * `Pause` when asked to), and the cluster with it. The batch's commits are merged into a few statements.
 */
async function commitChange(store: Store, lease: Lease, change: TaskChange, nowMicros: number): Promise<CommitOutcome> {
  const commit: TaskCommit = { lease, change, nowMicros };
  const outcome = await store.groupCommit.runMerged(TASK_COMMITS[store.dialect], commit);
  if (outcome !== "lost") lease.fence += 1;
  return outcome;
}

async function readInventory(db: Kysely<Database>, clusterId: string): Promise<ClusterInventory> {
  const [cluster, pools, nodes, addons] = await Promise.all([
    db.selectFrom("clusters").select("version").where("id", "=", clusterId).executeTakeFirstOrThrow(),
    db
      .selectFrom("node_pools")
      .select("id")
      .where("cluster_id", "=", clusterId)
      .orderBy("created_at")
      .orderBy("id")
      .execute(),
    db.selectFrom("nodes").selectAll().where("cluster_id", "=", clusterId).orderBy("name").execute(),
    db.selectFrom("addons").select(["name", "version"]).where("cluster_id", "=", clusterId).execute(),
  ]);
  return {
    version: cluster.version,
    pools,
    nodes: nodes.map((n) => ({
      id: n.id,
      name: n.name,
      poolId: n.pool_id,
      version: n.version,
      labels: JSON.parse(n.labels) as Record<string, string>,
    })),
    addons,
  };
}
