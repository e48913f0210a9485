import { randomBytes, randomUUID } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { type ClusterJobType, flavorNodeCapacity, poolNodeName } from "../domain/cluster-lifecycle.js";
import type { ClusterRow } from "./cluster-queries.js";
import type { Store } from "./database.js";
import { LifecycleRefusedError } from "./lifecycle-refused.js";
import type { Database } from "./schema.js";
import { hasUpgradeUnderWay, lockCluster, refuseChangingNodes } from "./upgrade-task-queries.js";
import { inWriteTransaction } from "./write-transaction.js";

export interface NewCluster {
  readonly projectId: string;
  readonly name: string;
  readonly version: string;
  readonly platformVersion: string;
  readonly flavor: string;
  readonly type: string;
  readonly category: string;
  readonly description: string;
  /** What CreateCluster accepted beyond the columns, kept as JSON. */
  readonly spec: Record<string, unknown>;
}

/** Inserts a `Creating` cluster and its `CreateCluster` job; refused when the project has a cluster of that name. */
export function createCluster(store: Store, cluster: NewCluster, now: number): Promise<string> {
  return inWriteTransaction(store, async (trx) => {
    // The project's row serializes creations, so two requests cannot both take one name.
    await trx.updateTable("projects").set({ name: sql`name` }).where("id", "=", cluster.projectId).execute();
    const taken = await trx
      .selectFrom("clusters")
      .select("id")
      .where("project_id", "=", cluster.projectId)
      .where("name", "=", cluster.name)
      .executeTakeFirst();
    if (taken) throw new LifecycleRefusedError("conflict", `the project already has a cluster named ${cluster.name}`);
    const id = randomUUID();
    const jobId = await insertJob(
      trx,
      { projectId: cluster.projectId, clusterId: id },
      "CreateCluster",
      id,
      cluster.name,
      now,
    );
    await trx
      .insertInto("clusters")
      .values({
        id,
        project_id: cluster.projectId,
        name: cluster.name,
        version: cluster.version,
        platform_version: cluster.platformVersion,
        phase: "Creating",
        flavor: cluster.flavor,
        cluster_type: cluster.type,
        category: cluster.category,
        description: cluster.description,
        control_plane_version: null,
        status_reason: null,
        spec: JSON.stringify(cluster.spec),
        job_id: jobId,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return id;
  });
}

/** UpdateCluster: the description and the fields kept in the creation spec (alias, custom SANs). */
export async function updateCluster(
  store: Store,
  cluster: ClusterRow,
  change: { readonly description?: string; readonly spec: Record<string, unknown> },
  now: number,
): Promise<void> {
  await store.db
    .updateTable("clusters")
    .set({
      ...(change.description !== undefined && { description: change.description }),
      spec: JSON.stringify(change.spec),
      updated_at: now,
    })
    .where("id", "=", cluster.id)
    .execute();
}

/**
 * Moves a cluster to `Deleting` with a `DeleteCluster` job, under the cluster's lock: refused while an upgrade, a
 * backup or a pre-check is under way, or while the cluster is still being created or already being deleted.
 */
export function startClusterDeletion(store: Store, cluster: ClusterRow, now: number): Promise<string> {
  return inWriteTransaction(store, async (trx) => {
    await lockCluster(trx, cluster.id);
    const current = await trx.selectFrom("clusters").select("phase").where("id", "=", cluster.id).executeTakeFirst();
    if (!current) throw new LifecycleRefusedError("gone", `cluster ${cluster.id} not found`);
    if (current.phase === "Creating" || current.phase === "Deleting") {
      throw new LifecycleRefusedError("state", `cluster ${cluster.id} is ${current.phase}`);
    }
    await refuseActiveWork(trx, cluster.id);
    await refuseChangingNodes(trx, cluster.id);
    const jobId = await insertJob(trx, jobOwner(cluster), "DeleteCluster", cluster.id, cluster.name, now);
    await trx
      .updateTable("clusters")
      .set({ phase: "Deleting", job_id: jobId, updated_at: now })
      .where("id", "=", cluster.id)
      .execute();
    await trx.updateTable("node_pools").set({ phase: "Deleting" }).where("cluster_id", "=", cluster.id).execute();
    await trx
      .updateTable("nodes")
      .set({ status: "Deleting", updated_at: now })
      .where("cluster_id", "=", cluster.id)
      .execute();
    return jobId;
  });
}

/** An upgrade under way, a backup or a pre-check running: each refuses a deletion and a change of the nodes. */
async function refuseActiveWork(trx: Kysely<Database>, clusterId: string): Promise<void> {
  if (await hasUpgradeUnderWay(trx, clusterId)) {
    throw new LifecycleRefusedError("upgrading", `cluster ${clusterId} has an upgrade under way`);
  }
  for (const [table, what] of [
    ["snapshot_tasks", "being backed up"],
    ["precheck_tasks", "being pre-checked"],
  ] as const) {
    const running = await trx
      .selectFrom(table)
      .select("id")
      .where("cluster_id", "=", clusterId)
      .where("phase", "in", ["Init", "Running"])
      .executeTakeFirst();
    if (running) throw new LifecycleRefusedError("state", `cluster ${clusterId} is ${what}`);
  }
}

/** Locks an `Available` cluster with no upgrade, backup or pre-check under way, for a change of its nodes. */
async function lockSettledCluster(trx: Kysely<Database>, clusterId: string): Promise<ClusterRow> {
  await lockCluster(trx, clusterId);
  const cluster = await trx.selectFrom("clusters").selectAll().where("id", "=", clusterId).executeTakeFirst();
  if (!cluster) throw new LifecycleRefusedError("gone", `cluster ${clusterId} not found`);
  await refuseActiveWork(trx, clusterId);
  if (cluster.phase !== "Available") {
    throw new LifecycleRefusedError(
      "state",
      `cluster ${clusterId} is ${cluster.phase}; its nodes change only when it is Available`,
    );
  }
  return cluster;
}

export interface NewNodePool {
  readonly name: string;
  readonly nodeCount: number;
  /** What CreateNodePool accepted: `type`, `nodeTemplate`, `autoscaling`, ...; `initialNodeCount` follows scaling. */
  readonly spec: Record<string, unknown>;
}

/** Inserts a `Synchronizing` pool with its nodes `Installing` at the cluster's version, and the pool's job. */
export function createNodePool(store: Store, clusterId: string, pool: NewNodePool, now: number): Promise<string> {
  return inWriteTransaction(store, async (trx) => {
    const cluster = await lockSettledCluster(trx, clusterId);
    await refusePoolName(trx, clusterId, pool.name, undefined);
    await refuseOverCapacity(trx, cluster, pool.nodeCount);
    const id = randomUUID();
    const jobId = await insertJob(trx, jobOwner(cluster), "CreateNodePool", id, pool.name, now);
    await trx
      .insertInto("node_pools")
      .values({
        cluster_id: clusterId,
        id,
        name: pool.name,
        created_at: now,
        spec: JSON.stringify(pool.spec),
        job_id: jobId,
        phase: "Synchronizing",
      })
      .execute();
    await insertPoolNodes(trx, cluster, { id, name: pool.name }, pool.nodeCount, jobId, now);
    return id;
  });
}

async function refusePoolName(trx: Kysely<Database>, clusterId: string, name: string, poolId: string | undefined) {
  const taken = await trx
    .selectFrom("node_pools")
    .select("id")
    .where("cluster_id", "=", clusterId)
    .where("name", "=", name)
    .executeTakeFirst();
  if (taken && taken.id !== poolId) {
    throw new LifecycleRefusedError("conflict", `the cluster already has a node pool named ${name}`);
  }
}

/** Refuses `added` more nodes when the cluster would then have more than its flavor manages. */
async function refuseOverCapacity(trx: Kysely<Database>, cluster: ClusterRow, added: number): Promise<void> {
  const { n } = await trx
    .selectFrom("nodes")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("cluster_id", "=", cluster.id)
    .executeTakeFirstOrThrow();
  const capacity = flavorNodeCapacity(cluster.flavor);
  if (Number(n) + added > capacity) {
    throw new LifecycleRefusedError(
      "tooManyNodes",
      `cluster ${cluster.id} has ${Number(n)} nodes; its flavor ${cluster.flavor} manages at most ${capacity}`,
    );
  }
}

async function insertPoolNodes(
  trx: Kysely<Database>,
  cluster: ClusterRow,
  pool: { readonly id: string; readonly name: string },
  count: number,
  jobId: string,
  now: number,
): Promise<void> {
  const rows = Array.from({ length: count }, () => {
    const name = poolNodeName(pool.name, randomBytes(5));
    return {
      id: randomUUID(),
      cluster_id: cluster.id,
      pool_id: pool.id,
      name,
      version: cluster.version,
      status: "Installing",
      labels: JSON.stringify({ name, "kubernetes.io/hostname": name, "cce.cloud.com/cce-nodepool": pool.name }),
      job_id: jobId,
      created_at: now,
      updated_at: now,
    };
  });
  // In slices: an insert binds 11 values per row, and SQLite takes at most 32766.
  for (let start = 0; start < rows.length; start += 500) {
    await trx
      .insertInto("nodes")
      .values(rows.slice(start, start + 500))
      .execute();
  }
}

/**
 * UpdateNodePool's scaling: new nodes `Installing`, or the newest nodes `Deleting`, until the job ends. Refused while
 * the pool is still changing (its last job has not ended) or the cluster is not settled.
 */
export function scaleNodePool(
  store: Store,
  clusterId: string,
  poolId: string,
  change: { readonly name: string; readonly nodeCount: number; readonly spec: Record<string, unknown> },
  now: number,
): Promise<string | undefined> {
  return inWriteTransaction(store, async (trx) => {
    const cluster = await lockSettledCluster(trx, clusterId);
    const pool = await settledPool(trx, clusterId, poolId);
    await refusePoolName(trx, clusterId, change.name, poolId);
    // Nodes already being deleted (DeleteNode) are gone as far as the pool's count goes.
    const nodes = await trx
      .selectFrom("nodes")
      .select(["id"])
      .where("cluster_id", "=", clusterId)
      .where("pool_id", "=", poolId)
      .where("status", "!=", "Deleting")
      .orderBy("created_at", "desc")
      .orderBy("id")
      .execute();
    await trx
      .updateTable("node_pools")
      .set({ name: change.name, spec: JSON.stringify(change.spec) })
      .where("cluster_id", "=", clusterId)
      .where("id", "=", poolId)
      .execute();
    if (change.nodeCount === nodes.length) return undefined;
    await refuseOverCapacity(trx, cluster, Math.max(0, change.nodeCount - nodes.length));
    const jobId = await insertJob(trx, jobOwner(cluster), "UpdateNodePool", pool.id, pool.name, now);
    await trx
      .updateTable("node_pools")
      .set({ phase: "Synchronizing", job_id: jobId })
      .where("cluster_id", "=", clusterId)
      .where("id", "=", poolId)
      .execute();
    if (change.nodeCount > nodes.length) {
      await insertPoolNodes(
        trx,
        cluster,
        { id: pool.id, name: change.name },
        change.nodeCount - nodes.length,
        jobId,
        now,
      );
    } else {
      const leaving = nodes.slice(0, nodes.length - change.nodeCount).map((node) => node.id);
      await trx
        .updateTable("nodes")
        .set({ status: "Deleting", job_id: jobId, updated_at: now })
        .where("id", "in", leaving)
        .execute();
    }
    return jobId;
  });
}

async function settledPool(trx: Kysely<Database>, clusterId: string, poolId: string) {
  const pool = await trx
    .selectFrom("node_pools")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .where("id", "=", poolId)
    .executeTakeFirst();
  if (!pool) throw new LifecycleRefusedError("gone", `node pool ${poolId} not found`);
  if (pool.phase !== "") throw new LifecycleRefusedError("state", `node pool ${poolId} is ${pool.phase}`);
  return pool;
}

/** Moves a pool and its nodes to `Deleting` with a `DeleteNodePool` job. */
export function startNodePoolDeletion(store: Store, clusterId: string, poolId: string, now: number): Promise<string> {
  return inWriteTransaction(store, async (trx) => {
    const cluster = await lockSettledCluster(trx, clusterId);
    const pool = await settledPool(trx, clusterId, poolId);
    const jobId = await insertJob(trx, jobOwner(cluster), "DeleteNodePool", pool.id, pool.name, now);
    await trx
      .updateTable("node_pools")
      .set({ phase: "Deleting", job_id: jobId })
      .where("cluster_id", "=", clusterId)
      .where("id", "=", poolId)
      .execute();
    await trx
      .updateTable("nodes")
      .set({ status: "Deleting", job_id: jobId, updated_at: now })
      .where("cluster_id", "=", clusterId)
      .where("pool_id", "=", poolId)
      .execute();
    return jobId;
  });
}

/**
 * Moves one settled node to `Deleting` with a `DeleteNode` job. Unless `scaleDown` is false (`NoScaleDown`), its
 * pool's `initialNodeCount` counts one node less from now on, as CCE updates the pool's count.
 */
export function startNodeDeletion(
  store: Store,
  clusterId: string,
  nodeId: string,
  scaleDown: boolean,
  now: number,
): Promise<string> {
  return inWriteTransaction(store, async (trx) => {
    const cluster = await lockSettledCluster(trx, clusterId);
    const node = await trx
      .selectFrom("nodes")
      .select(["id", "name", "status", "pool_id"])
      .where("cluster_id", "=", clusterId)
      .where("id", "=", nodeId)
      .executeTakeFirst();
    if (!node) throw new LifecycleRefusedError("gone", `node ${nodeId} not found`);
    if (node.status !== "Active" && node.status !== "Abnormal") {
      throw new LifecycleRefusedError("state", `node ${nodeId} is ${node.status}`);
    }
    await settledPool(trx, clusterId, node.pool_id);
    const jobId = await insertJob(trx, jobOwner(cluster), "DeleteNode", node.id, node.name, now);
    await trx
      .updateTable("nodes")
      .set({ status: "Deleting", job_id: jobId, updated_at: now })
      .where("id", "=", nodeId)
      .execute();
    if (scaleDown) await shrinkPoolSpec(trx, clusterId, node.pool_id);
    return jobId;
  });
}

/** A pool made through the API counts one node less in its `initialNodeCount`; a seeded pool counts its nodes. */
async function shrinkPoolSpec(trx: Kysely<Database>, clusterId: string, poolId: string): Promise<void> {
  const pool = await trx
    .selectFrom("node_pools")
    .select("spec")
    .where("cluster_id", "=", clusterId)
    .where("id", "=", poolId)
    .executeTakeFirst();
  if (!pool?.spec) return;
  const spec = JSON.parse(pool.spec) as { initialNodeCount?: number };
  const initialNodeCount = Math.max(0, (spec.initialNodeCount ?? 1) - 1);
  await trx
    .updateTable("node_pools")
    .set({ spec: JSON.stringify({ ...spec, initialNodeCount }) })
    .where("cluster_id", "=", clusterId)
    .where("id", "=", poolId)
    .execute();
}

function jobOwner(cluster: ClusterRow) {
  return { projectId: cluster.project_id, clusterId: cluster.id };
}

async function insertJob(
  trx: Kysely<Database>,
  owner: { readonly projectId: string; readonly clusterId: string },
  type: ClusterJobType,
  resourceId: string,
  resourceName: string,
  now: number,
): Promise<string> {
  const id = randomUUID();
  await trx
    .insertInto("cluster_jobs")
    .values({
      id,
      project_id: owner.projectId,
      cluster_id: owner.clusterId,
      type,
      resource_id: resourceId,
      resource_name: resourceName,
      phase: "Initializing",
      reason: null,
      due_at: now,
      created_at: now,
      updated_at: now,
      completed_at: null,
    })
    .execute();
  return id;
}

/** A job of a project, or undefined. */
export function findClusterJob(db: Kysely<Database>, projectId: string, jobId: string) {
  return db
    .selectFrom("cluster_jobs")
    .selectAll()
    .where("project_id", "=", projectId)
    .where("id", "=", jobId)
    .executeTakeFirst();
}

/** A pool of a cluster, or undefined. */
export function findNodePool(db: Kysely<Database>, clusterId: string, poolId: string) {
  return db
    .selectFrom("node_pools")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .where("id", "=", poolId)
    .executeTakeFirst();
}

/** A node of a cluster, or undefined. */
export function findNode(db: Kysely<Database>, clusterId: string, nodeId: string) {
  return db
    .selectFrom("nodes")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .where("id", "=", nodeId)
    .executeTakeFirst();
}
