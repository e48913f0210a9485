import { LRUCache } from "lru-cache";
import type { Store } from "./database.js";
import { findTaskDocumentRow, type TaskDocumentRow } from "./upgrade-task-queries.js";

/** Reads what ShowUpgradeClusterTask answers with: a task of that cluster and project, or undefined. */
export type TaskDocumentReader = (
  projectId: string,
  clusterId: string,
  taskId: string,
) => Promise<TaskDocumentRow | undefined>;

/** Tasks whose last read is kept: every poller of every client asks for its task again and again. */
const REMEMBERED_TASKS = 10_000;

/**
 * ShowUpgradeClusterTask's read, from memory while nothing was written. On SQLite a row is kept with the database's
 * change mark as of before it was read, and served only while the mark is the same: any write of this process (before
 * it runs, so before its response) or commit of another moves it. A row read while something was written is not
 * kept. PostgreSQL reads through: other replicas' writes would need notifications to be seen.
 */
export function taskDocumentReader(store: Store): TaskDocumentReader {
  const { changes } = store;
  if (!changes) return (projectId, clusterId, taskId) => findTaskDocumentRow(store.db, projectId, clusterId, taskId);
  const cache = new LRUCache<string, { row: TaskDocumentRow; mark: string }>({ max: REMEMBERED_TASKS });
  return async (projectId, clusterId, taskId) => {
    const key = `${projectId}/${clusterId}/${taskId}`;
    const mark = changes.mark();
    const kept = cache.get(key);
    if (kept?.mark === mark) return kept.row;
    const row = await findTaskDocumentRow(store.db, projectId, clusterId, taskId);
    if (row && changes.mark() === mark) cache.set(key, { row, mark });
    return row;
  };
}
