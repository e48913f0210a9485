import type { Insertable, Kysely } from "kysely";
import type { ClusterState, ProjectState } from "../domain/project-state.js";
import { projectStateProblem } from "../domain/project-state-rules.js";
import { isConstraintViolation, type Store } from "./database.js";
import { stallMsOf } from "./fault-queries.js";
import { countProjectRows, deleteProjectRows, type ProjectStateChange, takeOverProjectWork } from "./project-rows.js";
import { clusterIdsSeededElsewhere, findProjectSeed } from "./project-seed-queries.js";
import {
  addonRow,
  applyLogRow,
  clusterJobRow,
  clusterRow,
  deprecatedApiRow,
  driverRow,
  faultRow,
  nodeRow,
  poolRow,
  postcheckRow,
  precheckRow,
  simulatedTargetRow,
  snapshotRow,
  upgradeTaskRow,
  workflowRow,
} from "./project-state-rows.js";
import type { Database } from "./schema.js";
import { seedFaultId } from "./seed-file.js";
import { inSlices } from "./seed-ownership.js";
import { inRetriedWriteTransaction } from "./write-transaction.js";

/** A state document the project cannot take: the message says what in it is wrong. */
export class ProjectStateRefusedError extends Error {}

/** Rows inserted per statement, well under both dialects' limits on bound parameters. */
const ROWS_PER_INSERT = 200;

/**
 * Replaces the project's whole state with a document's, in one transaction: the project's running work is taken
 * from its workers, its rows deleted and the document's written. Nothing is written when the document is refused:
 * a problem in it, an ID of another project's (or of another project's seed), a driver profile the project may not
 * use, a stall longer than the fault API allows. A restored upgrade task's lease is free, so the engine claims it and goes on from its step; its fencing token
 * is newer than any a worker of the task held before (at least the current time in microseconds, which no counted
 * fence reaches), and the simulated cluster is told so, so no earlier worker can write again.
 */
export async function importProjectState(
  store: Store,
  projectId: string,
  state: ProjectState,
  nowMicros: number,
  maxStallSeconds: number,
): Promise<ProjectStateChange> {
  if (state.projectId !== projectId) {
    throw new ProjectStateRefusedError(`projectId ${JSON.stringify(state.projectId)} is not the project of the path`);
  }
  const problem = projectStateProblem(state);
  if (problem) throw new ProjectStateRefusedError(problem);
  try {
    return await inRetriedWriteTransaction(store, async (trx) => {
      await refuseForeignIds(trx, projectId, state);
      await refuseUngrantedProfiles(trx, projectId, state);
      await refuseLongStalls(trx, projectId, state, maxStallSeconds);
      const fences = await takeOverProjectWork(trx, projectId);
      const removed = await deleteProjectRows(trx, projectId);
      const fenceOf = (taskId: string) => Math.max(nowMicros, (fences.get(taskId) ?? 0) + 1);
      for (const cluster of state.clusters) await insertCluster(trx, projectId, cluster, fenceOf);
      return { removed, restored: await countProjectRows(trx, projectId) };
    });
  } catch (error) {
    // A race the checks could not see (another project took an ID meanwhile): still the document's refusal.
    if (isConstraintViolation(error)) {
      throw new ProjectStateRefusedError(`the document does not fit the database: ${(error as Error).message}`);
    }
    throw error;
  }
}

async function insertCluster(
  db: Kysely<Database>,
  projectId: string,
  cluster: ClusterState,
  fenceOf: (taskId: string) => number,
): Promise<void> {
  const { id } = cluster;
  await db.insertInto("clusters").values(clusterRow(projectId, cluster)).execute();
  if (cluster.driver) await db.insertInto("cluster_drivers").values(driverRow(id, cluster.driver)).execute();
  await insertAll(
    db,
    "node_pools",
    cluster.nodePools.map((pool) => poolRow(id, pool)),
  );
  await insertAll(
    db,
    "nodes",
    cluster.nodes.map((node) => nodeRow(id, node)),
  );
  await insertAll(
    db,
    "addons",
    cluster.addons.map((addon) => addonRow(id, addon)),
  );
  await insertAll(
    db,
    "cluster_deprecated_apis",
    cluster.deprecatedApis.map((api) => deprecatedApiRow(id, api)),
  );
  await insertAll(
    db,
    "cluster_faults",
    cluster.faults.map((fault) => faultRow(id, fault)),
  );
  const upgrades = cluster.upgradeTasks.map((task) => upgradeTaskRow(projectId, id, task, fenceOf(task.id)));
  await insertAll(db, "upgrade_tasks", upgrades);
  await insertAll(
    db,
    "precheck_tasks",
    cluster.prechecks.map((task) => precheckRow(projectId, id, task)),
  );
  await insertAll(
    db,
    "snapshot_tasks",
    cluster.snapshots.map((task) => snapshotRow(projectId, id, task)),
  );
  await insertAll(
    db,
    "postcheck_tasks",
    cluster.postchecks.map((task) => postcheckRow(projectId, id, task)),
  );
  await insertAll(
    db,
    "upgrade_workflows",
    cluster.workflows.map((flow) => workflowRow(projectId, id, flow)),
  );
  await insertAll(
    db,
    "cluster_jobs",
    (cluster.jobs ?? []).map((job) => clusterJobRow(projectId, job)),
  );
  await insertAll(
    db,
    "simulated_targets",
    cluster.simulator.targets.map((target) => simulatedTargetRow(id, target)),
  );
  await insertAll(
    db,
    "simulator_apply_log",
    cluster.simulator.applyLog.map((entry) => applyLogRow(id, entry)),
  );
  // The simulated cluster refuses, from now on, every worker older than the restored task's token.
  const fences = cluster.upgradeTasks.map((task) => ({ task_id: task.id, fence: fenceOf(task.id) }));
  await insertAll(db, "simulated_fences", fences);
}

async function insertAll<T extends keyof Database>(
  db: Kysely<Database>,
  table: T,
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    await db
      .insertInto(table)
      .values(rows.slice(start, start + ROWS_PER_INSERT) as never)
      .execute();
  }
}

/** The document's IDs by the table that keys them. */
function documentIds(state: ProjectState) {
  const clusters = state.clusters;
  const tasks = clusters.flatMap((c) =>
    [c.upgradeTasks, c.prechecks, c.snapshots, c.postchecks, c.workflows].flatMap((list) => list.map((t) => t.id)),
  );
  return {
    clusters: clusters.map((c) => c.id),
    nodes: clusters.flatMap((c) => c.nodes.map((n) => n.id)),
    faults: clusters.flatMap((c) => c.faults.map((f) => f.id)),
    // A log entry naming another project's task would show that task's ID to this project.
    tasks: [...new Set([...tasks, ...clusters.flatMap((c) => c.simulator.applyLog.map((e) => e.taskId))])],
    applyLog: clusters.flatMap((c) => c.simulator.applyLog.map((e) => e.id)),
    jobs: clusters.flatMap((c) => (c.jobs ?? []).map((j) => j.id)),
  };
}

/**
 * Refuses a document that names a row another project has: IDs are unique across projects, so taking one would move
 * it (or fail), and a cluster another project's seed gives it would be taken back at that project's reset.
 */
async function refuseForeignIds(db: Kysely<Database>, projectId: string, state: ProjectState): Promise<void> {
  const ids = documentIds(state);
  const mine = db.selectFrom("clusters").select("id").where("project_id", "=", projectId);
  const taken = [
    ...(await inSlices(ids.clusters, (slice) =>
      db.selectFrom("clusters").select("id").where("id", "in", slice).where("project_id", "<>", projectId).execute(),
    )),
    ...(await clusterIdsSeededElsewhere(db, projectId, ids.clusters)).map((id) => ({ id })),
    ...(await inSlices(ids.nodes, (slice) =>
      db.selectFrom("nodes").select("id").where("id", "in", slice).where("cluster_id", "not in", mine).execute(),
    )),
    ...(await inSlices(ids.faults, (slice) =>
      db
        .selectFrom("cluster_faults")
        .select("id")
        .where("id", "in", slice)
        .where("cluster_id", "not in", mine)
        .execute(),
    )),
    ...(await inSlices(ids.applyLog, (slice) =>
      db
        .selectFrom("simulator_apply_log")
        .select("id")
        .where("id", "in", slice)
        .where("cluster_id", "not in", mine)
        .execute(),
    )),
    ...(await inSlices(ids.jobs, (slice) =>
      db
        .selectFrom("cluster_jobs")
        .select("id")
        .where("id", "in", slice)
        .where("project_id", "<>", projectId)
        .execute(),
    )),
  ];
  for (const table of [
    "upgrade_tasks",
    "precheck_tasks",
    "snapshot_tasks",
    "postcheck_tasks",
    "upgrade_workflows",
  ] as const) {
    taken.push(
      ...(await inSlices(ids.tasks, (slice) =>
        db.selectFrom(table).select("id").where("id", "in", slice).where("project_id", "<>", projectId).execute(),
      )),
    );
  }
  const first = taken[0];
  if (first) throw new ProjectStateRefusedError(`ID ${JSON.stringify(first.id)} is in use outside this project`);
}

/** A driver choice may name only a profile the seed gives the project, as the driver API requires. */
async function refuseUngrantedProfiles(db: Kysely<Database>, projectId: string, state: ProjectState): Promise<void> {
  const grants = await db
    .selectFrom("project_driver_profiles")
    .select("profile")
    .where("project_id", "=", projectId)
    .execute();
  const granted = new Set(grants.map((grant) => grant.profile));
  const chosen = state.clusters.flatMap((cluster) => [
    cluster.driver?.choice.profile,
    ...cluster.upgradeTasks.map((task) => task.driver?.profile),
  ]);
  const refused = chosen.find((profile) => profile !== undefined && !granted.has(profile));
  if (refused !== undefined) {
    throw new ProjectStateRefusedError(`profile ${JSON.stringify(refused)} is not one this project may use`);
  }
}

/**
 * A stall longer than the operator's cap (`FAULT_MAX_STALL_SECONDS`) holds an engine slot other projects share: the
 * fault API refuses it, and so does a restore, unless it is the seed's own rule as seeded (the operator's).
 */
async function refuseLongStalls(
  db: Kysely<Database>,
  projectId: string,
  state: ProjectState,
  maxStallSeconds: number,
): Promise<void> {
  const seeded = new Map<string, number>();
  for (const cluster of (await findProjectSeed(db, projectId)) ?? []) {
    for (const [index, fault] of (cluster.faults ?? []).entries())
      seeded.set(seedFaultId(cluster.id, index), stallMsOf(fault));
  }
  const long = state.clusters
    .flatMap((cluster) => cluster.faults)
    .find(
      (fault) =>
        fault.mode === "stall" && fault.stallMs > maxStallSeconds * 1000 && seeded.get(fault.id) !== fault.stallMs,
    );
  if (long) {
    throw new ProjectStateRefusedError(
      `fault ${JSON.stringify(long.id)} stalls ${long.stallMs / 1000} s, more than this server allows (${maxStallSeconds} s)`,
    );
  }
}
