import type { Store } from "./database.js";
import {
  countProjectRows,
  deleteProjectRows,
  type ProjectRowCounts,
  type ProjectStateChange,
  takeOverProjectWork,
} from "./project-rows.js";
import { findProjectSeed } from "./project-seed-queries.js";
import { type ClusterSeed, insertClusters, SeedFileError } from "./seed-file.js";
import { inRetriedWriteTransaction } from "./write-transaction.js";

/** The project cannot be brought back to its seed: the message says why. Nothing was changed. */
export class ResetRefusedError extends Error {}

/**
 * Brings one project back to its seed, in one transaction: its running work is taken from its workers, every row of
 * its state deleted (tasks, checks, backups, workflows, faults, driver choices, the simulator's rows) and its
 * clusters, pools, nodes, add-ons, deprecated APIs, seeded faults and drivers inserted as the seed states them, as
 * at a first start. Credentials stay: the seed applies them at every start anyway.
 */
export async function resetProject(store: Store, projectId: string, nowMicros: number): Promise<ProjectStateChange> {
  return inRetriedWriteTransaction(store, async (trx) => {
    const seeded = await findProjectSeed(trx, projectId);
    if (!seeded) {
      throw new ResetRefusedError(
        `project ${projectId} has no recorded seed: start the server once with the seed file that gives it`,
      );
    }
    await takeOverProjectWork(trx, projectId);
    const removed = await deleteProjectRows(trx, projectId);
    try {
      await insertClusters(trx, projectId, seeded, nowMicros);
    } catch (error) {
      // A version the catalogue no longer has.
      if (error instanceof SeedFileError) {
        throw new ResetRefusedError(`the recorded seed no longer applies: ${error.message}`);
      }
      throw error;
    }
    const restored = await countProjectRows(trx, projectId);
    // The seed's inserts skip a row whose ID exists: here, only one another project has taken since.
    if (!restoredWhole(seeded, restored)) {
      throw new ResetRefusedError("the seed cannot be restored whole: an ID it gives is in use outside this project");
    }
    return { removed, restored };
  });
}

function restoredWhole(seeded: readonly ClusterSeed[], restored: ProjectRowCounts): boolean {
  const sum = (count: (cluster: ClusterSeed) => number) => seeded.reduce((total, c) => total + count(c), 0);
  return (
    restored.clusters === seeded.length &&
    restored.nodes === sum((c) => (c.nodePools ?? []).reduce((nodes, pool) => nodes + pool.nodeCount, 0)) &&
    restored.faults === sum((c) => c.faults?.length ?? 0)
  );
}
