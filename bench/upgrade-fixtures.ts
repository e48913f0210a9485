// What the engine benchmarks start from: one project of N clusters of M nodes, and one queued upgrade per cluster.
import { randomUUID } from "node:crypto";
import { normalizeUpgradeAction } from "../src/domain/upgrade-request.js";
import type { Store } from "../src/store/database.js";
import type { SeedFile } from "../src/store/seed-file.js";

export const PROJECT = "0123456789abcdef0123456789abcdef";

export function clusterId(index: number): string {
  return `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`;
}

/** The seed: `clusters` clusters of `nodes` nodes in one pool, and the project's `tokens`. */
export function clustersSeed(clusters: number, nodes: number, tokens: string[] = []): SeedFile {
  return {
    projects: [
      {
        id: PROJECT,
        name: "bench",
        tokens,
        clusters: Array.from({ length: clusters }, (_, i) => ({
          id: clusterId(i),
          name: `c${i}`,
          version: "v1.28.15-r30",
          nodePools: [{ id: "DefaultPool", name: "DefaultPool", nodeCount: nodes }],
        })),
      },
    ],
  };
}

/** One `Queuing` upgrade to v1.29.15-r50 per cluster (batches of up to 20 nodes); their IDs, by cluster index. */
export async function queueUpgrades(store: Store, clusters: number): Promise<string[]> {
  const action = normalizeUpgradeAction(
    {
      targetVersion: "v1.29",
      strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 20 } },
    },
    "v1.29.15-r50",
  );
  const now = Date.now() * 1000;
  const rows = Array.from({ length: clusters }, (_, i) => ({
    id: randomUUID(),
    project_id: PROJECT,
    cluster_id: clusterId(i),
    phase: "Queuing" as const,
    from_version: "v1.28.15-r30",
    target_version: "v1.29.15-r50",
    target_platform_version: "cce.12.0",
    request: JSON.stringify(action),
    plan: null,
    failure_reason: null,
    requested_control: null,
    lease_owner: null,
    lease_expires_at: null,
    created_at: now + i,
    updated_at: now + i,
    completed_at: null,
  }));
  for (let i = 0; i < rows.length; i += 200) {
    await store.db
      .insertInto("upgrade_tasks")
      .values(rows.slice(i, i + 200))
      .execute();
  }
  return rows.map((row) => row.id);
}
