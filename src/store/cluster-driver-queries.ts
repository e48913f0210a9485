import type { Kysely } from "kysely";
import { type DriverChoice, parseDriverChoice } from "../domain/driver-config.js";
import { ACTIVE_TASK_PHASES } from "../domain/upgrade-task.js";
import type { ClusterDriverRow, DriverChoices } from "../drivers/driver-choices.js";
import type { Store } from "./database.js";
import { findProjectProfile } from "./driver-profile-queries.js";
import type { Database } from "./schema.js";
import { lockCluster } from "./upgrade-task-queries.js";

/** The cluster's driver choice; the simulator when none was set. Undefined for an unknown cluster. */
export async function findClusterDriver(
  db: Kysely<Database>,
  clusterId: string,
): Promise<ClusterDriverRow | undefined> {
  const row = await db
    .selectFrom("clusters")
    .leftJoin("cluster_drivers", "cluster_drivers.cluster_id", "clusters.id")
    .select(["clusters.name", "clusters.project_id", "cluster_drivers.config"])
    .where("clusters.id", "=", clusterId)
    .executeTakeFirst();
  if (!row) return undefined;
  return { clusterName: row.name, projectId: row.project_id, choice: parseDriverChoice(row.config) };
}

/**
 * The driver choice a task runs: the copy it was created with, joined to its cluster's name and project. A task
 * without a copy (inserted by a replica older than migration 0011) runs the cluster's current choice. Undefined for
 * an unknown task.
 */
export async function findTaskDriver(db: Kysely<Database>, taskId: string): Promise<ClusterDriverRow | undefined> {
  const row = await db
    .selectFrom("upgrade_tasks")
    .innerJoin("clusters", "clusters.id", "upgrade_tasks.cluster_id")
    .leftJoin("cluster_drivers", "cluster_drivers.cluster_id", "upgrade_tasks.cluster_id")
    .select(["clusters.name", "clusters.project_id", "upgrade_tasks.driver", "cluster_drivers.config"])
    .where("upgrade_tasks.id", "=", taskId)
    .executeTakeFirst();
  if (!row) return undefined;
  return { clusterName: row.name, projectId: row.project_id, choice: parseDriverChoice(row.driver ?? row.config) };
}

/** Sets a seeded cluster's driver unless it has one: a restart never undoes a change made through the API. */
export async function insertSeedDriver(
  db: Kysely<Database>,
  clusterId: string,
  choice: DriverChoice,
  nowMicros: number,
): Promise<void> {
  await db
    .insertInto("cluster_drivers")
    .values({ cluster_id: clusterId, config: JSON.stringify(choice), updated_at: nowMicros })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/**
 * Replaces the cluster's driver unless it has an active upgrade task (a task must not change drivers halfway);
 * false when it has one. Check and write share a transaction under the cluster row's lock, which a task's creation
 * takes too: on PostgreSQL's READ COMMITTED the check could otherwise pass while a task is being inserted with the old
 * choice, and the write land after it.
 */
export async function replaceDriverUnlessUpgrading(
  db: Kysely<Database>,
  clusterId: string,
  choice: DriverChoice,
  nowMicros: number,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await lockCluster(trx, clusterId);
    const active = await trx
      .selectFrom("upgrade_tasks")
      .select("id")
      .where("cluster_id", "=", clusterId)
      .where("phase", "in", ACTIVE_TASK_PHASES)
      .executeTakeFirst();
    if (active) return false;
    const json = JSON.stringify(choice);
    await trx
      .insertInto("cluster_drivers")
      .values({ cluster_id: clusterId, config: json, updated_at: nowMicros })
      .onConflict((oc) => oc.column("cluster_id").doUpdateSet({ config: json, updated_at: nowMicros }))
      .execute();
    return true;
  });
}

/** The driver router's port over these queries. */
export function driverChoices(store: Store): DriverChoices {
  return {
    forTask: (taskId) => findTaskDriver(store.db, taskId),
    forCluster: (clusterId) => findClusterDriver(store.db, clusterId),
    profile: (projectId, name) => findProjectProfile(store.db, projectId, name),
  };
}
