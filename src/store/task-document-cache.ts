import { LRUCache } from "lru-cache";
import type { Store } from "./database.js";
import type { TaskChanges } from "./task-changes.js";
import { findTaskDocumentRow, type TaskDocumentRow } from "./upgrade-task-queries.js";

/** Tasks whose last document is kept: every poller of every client asks for its task again and again. */
const REMEMBERED_TASKS = 10_000;

interface Kept<D> {
  readonly projectId: string;
  readonly clusterId: string;
  readonly document: D;
  readonly mark: string;
}

/** Where a document came from, for the metrics. */
export type DocumentSource = "memory" | "database";

/** What the cache tells the metrics. */
export interface DocumentCacheEvents {
  served(source: DocumentSource): void;
  /** A task was announced as changed. */
  heard(): void;
}

const UNOBSERVED: DocumentCacheEvents = { served() {}, heard() {} };

/**
 * ShowUpgradeClusterTask's document, rendered once and then answered from memory until its task may have changed:
 * - a request that may write (any method but GET and HEAD) moves the mark when it starts and again before its
 *   response is sent, so a client never reads older than its own acknowledged write;
 * - the store's `changes` move the mark (SQLite: any write statement, any commit of another process) or name the
 *   task changed (PostgreSQL: every replica's commits, as notified);
 * - a read during which anything moved is not kept, and nothing is answered from memory while `changes` cannot hear.
 */
export class TaskDocumentCache<D> {
  readonly #kept = new LRUCache<string, Kept<D>>({ max: REMEMBERED_TASKS });
  readonly #changes: TaskChanges;
  readonly #stopHearing: () => void;
  #writeRequests = 0;
  #heard = 0;

  constructor(
    private readonly store: Store,
    private readonly render: (row: TaskDocumentRow) => D,
    private readonly events: DocumentCacheEvents = UNOBSERVED,
  ) {
    this.#changes = store.changes;
    this.#stopHearing = store.changes.onChange((taskId) => {
      this.#heard += 1;
      if (taskId === undefined) {
        this.#kept.clear();
        return;
      }
      this.#kept.delete(taskId);
      events.heard();
    });
  }

  /** Called when a request that may write starts, and again before its response is sent. */
  writeRequestMoved(): void {
    this.#writeRequests += 1;
  }

  /** The task's document if it belongs to that cluster and project, else undefined. */
  async read(projectId: string, clusterId: string, taskId: string): Promise<D | undefined> {
    const mark = this.#mark();
    const heard = this.#heard;
    const kept = this.#changes.listening ? this.#kept.get(taskId) : undefined;
    if (kept?.mark === mark && kept.projectId === projectId && kept.clusterId === clusterId) {
      this.events.served("memory");
      return kept.document;
    }
    const row = await findTaskDocumentRow(this.store.db, projectId, clusterId, taskId);
    this.events.served("database");
    if (!row) return undefined;
    const document = this.render(row);
    if (this.#changes.listening && heard === this.#heard && mark === this.#mark()) {
      this.#kept.set(taskId, { projectId, clusterId, document, mark });
    }
    return document;
  }

  close(): void {
    this.#stopHearing();
  }

  #mark(): string {
    return `${this.#writeRequests}:${this.#changes.mark()}`;
  }
}
