import { type Kysely, sql } from "kysely";
import type { ClusterJobType } from "../domain/cluster-lifecycle.js";
import type { ClusterJobStore, DueClusterJob } from "../engine/cluster-job-runner.js";
import type { Store } from "./database.js";
import { deleteClusterRows } from "./project-rows.js";
import type { Database } from "./schema.js";
import { lockCluster } from "./upgrade-task-queries.js";
import { inWriteTransaction } from "./write-transaction.js";

/** The cluster-job runner's database: each move one conditional write on the job's fence, with its effect. */
export function clusterJobStore(store: Store): ClusterJobStore {
  return {
    async dueJobs(now, limit) {
      const rows = await store.db
        .selectFrom("cluster_jobs")
        .select(["id", "type", "cluster_id", "resource_id", "phase", "fence"])
        .where("phase", "in", ["Initializing", "Running"])
        .where("due_at", "<=", now)
        .orderBy("due_at")
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        id: row.id,
        type: row.type as ClusterJobType,
        clusterId: row.cluster_id,
        resourceId: row.resource_id,
        phase: row.phase as DueClusterJob["phase"],
        fence: row.fence,
      }));
    },
    async startJob(job, now, dueAt) {
      const result = await store.db
        .updateTable("cluster_jobs")
        .set({ phase: "Running", fence: sql`fence + 1`, due_at: dueAt, updated_at: now })
        .where("id", "=", job.id)
        .where("fence", "=", job.fence)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    finishJob(job, now) {
      return inWriteTransaction(store, async (trx) => {
        // The cluster's lock first, as every other writer of the cluster takes it.
        await lockCluster(trx, job.clusterId);
        const result = await trx
          .updateTable("cluster_jobs")
          .set({ phase: "Success", fence: sql`fence + 1`, updated_at: now, completed_at: now })
          .where("id", "=", job.id)
          .where("fence", "=", job.fence)
          .where("phase", "=", "Running")
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) return false;
        await JOB_EFFECTS[job.type](trx, job, now);
        return true;
      });
    },
  };
}

type JobEffect = (trx: Kysely<Database>, job: DueClusterJob, now: number) => Promise<void>;

/** Nodes the job brought up become `Active`, nodes it took down are gone, and its pool is settled. */
const settlePoolNodes: JobEffect = async (trx, job, now) => {
  await trx
    .updateTable("nodes")
    .set({ status: "Active", updated_at: now })
    .where("job_id", "=", job.id)
    .where("status", "=", "Installing")
    .execute();
  await trx.deleteFrom("nodes").where("job_id", "=", job.id).where("status", "=", "Deleting").execute();
  await trx
    .updateTable("node_pools")
    .set({ phase: "" })
    .where("cluster_id", "=", job.clusterId)
    .where("job_id", "=", job.id)
    .execute();
};

/** What each job does to the inventory when it ends, in the transaction that ends it. */
const JOB_EFFECTS: Readonly<Record<ClusterJobType, JobEffect>> = {
  async CreateCluster(trx, job, now) {
    await trx
      .updateTable("clusters")
      .set({ phase: "Available", updated_at: now })
      .where("id", "=", job.clusterId)
      .where("phase", "=", "Creating")
      .execute();
  },
  async DeleteCluster(trx, job) {
    await deleteClusterRows(trx, job.clusterId);
  },
  CreateNodePool: settlePoolNodes,
  UpdateNodePool: settlePoolNodes,
  async DeleteNodePool(trx, job) {
    await trx
      .deleteFrom("nodes")
      .where("cluster_id", "=", job.clusterId)
      .where("pool_id", "=", job.resourceId)
      .execute();
    await trx
      .deleteFrom("node_pools")
      .where("cluster_id", "=", job.clusterId)
      .where("id", "=", job.resourceId)
      .execute();
  },
  async DeleteNode(trx, job) {
    await trx.deleteFrom("nodes").where("id", "=", job.resourceId).where("job_id", "=", job.id).execute();
  },
};
