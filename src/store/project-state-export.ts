import type { Kysely, Selectable } from "kysely";
import { PROJECT_STATE_VERSION, type ProjectState } from "../domain/project-state.js";
import type { Store } from "./database.js";
import {
  addonDoc,
  applyLogDoc,
  clusterDoc,
  clusterJobDoc,
  deprecatedApiDoc,
  driverDoc,
  faultDoc,
  nodeDoc,
  poolDoc,
  postcheckDoc,
  precheckDoc,
  simulatedTargetDoc,
  snapshotDoc,
  upgradeTaskDoc,
  workflowDoc,
} from "./project-state-rows.js";
import type { Database } from "./schema.js";

/** Tables keyed by their cluster whose rows a project's state document shows under each cluster. */
type ClusterTable =
  | "node_pools"
  | "nodes"
  | "addons"
  | "cluster_deprecated_apis"
  | "cluster_drivers"
  | "cluster_faults"
  | "upgrade_tasks"
  | "precheck_tasks"
  | "snapshot_tasks"
  | "postcheck_tasks"
  | "upgrade_workflows"
  | "cluster_jobs"
  | "simulated_targets"
  | "simulator_apply_log";

/**
 * The project's whole state, read in one snapshot (repeatable read on PostgreSQL; SQLite's transaction holds the
 * lock). Rows come in a fixed order, by their keys, so one state always gives the same document.
 */
export function exportProjectState(store: Store, projectId: string): Promise<ProjectState> {
  return store.db
    .transaction()
    .setIsolationLevel("repeatable read")
    .execute(async (trx) => {
      const clusters = await trx.selectFrom("clusters").selectAll().where("project_id", "=", projectId).execute();
      const ids = clusters.map((cluster) => cluster.id);
      const rows = {
        pools: await rowsByCluster(trx, "node_pools", ids),
        nodes: await rowsByCluster(trx, "nodes", ids),
        addons: await rowsByCluster(trx, "addons", ids),
        deprecatedApis: await rowsByCluster(trx, "cluster_deprecated_apis", ids),
        drivers: await rowsByCluster(trx, "cluster_drivers", ids),
        faults: await rowsByCluster(trx, "cluster_faults", ids),
        upgrades: await rowsByCluster(trx, "upgrade_tasks", ids),
        prechecks: await rowsByCluster(trx, "precheck_tasks", ids),
        snapshots: await rowsByCluster(trx, "snapshot_tasks", ids),
        postchecks: await rowsByCluster(trx, "postcheck_tasks", ids),
        workflows: await rowsByCluster(trx, "upgrade_workflows", ids),
        jobs: await rowsByCluster(trx, "cluster_jobs", ids),
        targets: await rowsByCluster(trx, "simulated_targets", ids),
        applyLog: await rowsByCluster(trx, "simulator_apply_log", ids),
      };
      return {
        kind: "ProjectState" as const,
        version: PROJECT_STATE_VERSION,
        projectId,
        clusters: sortBy(clusters, (c) => [c.id]).map((cluster) => {
          const of = <T>(byCluster: Map<string, T[]>) => byCluster.get(cluster.id) ?? [];
          const [driver] = of(rows.drivers);
          return {
            ...clusterDoc(cluster),
            driver: driver ? driverDoc(driver) : null,
            nodePools: sortBy(of(rows.pools), (r) => [r.id]).map(poolDoc),
            nodes: sortBy(of(rows.nodes), (r) => [r.id]).map(nodeDoc),
            addons: sortBy(of(rows.addons), (r) => [r.name]).map(addonDoc),
            deprecatedApis: sortBy(of(rows.deprecatedApis), (r) => [r.url, r.user_agent]).map(deprecatedApiDoc),
            faults: sortBy(of(rows.faults), (r) => [r.id]).map(faultDoc),
            upgradeTasks: sortBy(of(rows.upgrades), (r) => [r.id]).map(upgradeTaskDoc),
            prechecks: sortBy(of(rows.prechecks), (r) => [r.id]).map(precheckDoc),
            snapshots: sortBy(of(rows.snapshots), (r) => [r.id]).map(snapshotDoc),
            postchecks: sortBy(of(rows.postchecks), (r) => [r.id]).map(postcheckDoc),
            workflows: sortBy(of(rows.workflows), (r) => [r.id]).map(workflowDoc),
            jobs: sortBy(of(rows.jobs), (r) => [r.id]).map(clusterJobDoc),
            simulator: {
              targets: sortBy(of(rows.targets), (r) => [r.kind, r.name]).map(simulatedTargetDoc),
              applyLog: sortBy(of(rows.applyLog), (r) => [r.id]).map(applyLogDoc),
            },
          };
        }),
      };
    });
}

/** Every row of a table keyed by cluster that belongs to one of the clusters, by cluster. */
async function rowsByCluster<T extends ClusterTable>(
  db: Kysely<Database>,
  table: T,
  clusterIds: string[],
): Promise<Map<string, Selectable<Database[T]>[]>> {
  const byCluster = new Map<string, Selectable<Database[T]>[]>();
  if (clusterIds.length === 0) return byCluster;
  // Kysely cannot type a column over a generic table; every table here has `cluster_id`.
  const rows = (await db
    .selectFrom(table as ClusterTable)
    .selectAll()
    .where("cluster_id", "in", clusterIds)
    .execute()) as (Selectable<Database[T]> & { cluster_id: string })[];
  for (const row of rows) {
    const list = byCluster.get(row.cluster_id);
    if (list) list.push(row);
    else byCluster.set(row.cluster_id, [row]);
  }
  return byCluster;
}

/** Sorted by the key's parts in code-unit order: the same in both dialects, whatever their collation. */
function sortBy<T>(rows: readonly T[], key: (row: T) => string[]): T[] {
  const keyed = rows.map((row) => ({ row, key: key(row) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  return keyed.map((entry) => entry.row);
}

function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
