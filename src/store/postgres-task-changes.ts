import pg from "pg";
import type { TaskChanges } from "./task-changes.js";

/** The channel migration 0014's triggers announce task changes on, as `<schema>/<task id>/<fence>`. */
const CHANNEL = "cce_upgrade_tasks";

export interface ListenRetry {
  /** Wait before the first reconnection after the connection is lost; it doubles up to `maxMs`. */
  readonly firstMs: number;
  readonly maxMs: number;
}

const DEFAULT_RETRY: ListenRetry = { firstMs: 500, maxMs: 30_000 };

/**
 * Hears the task changes every replica commits to one schema, on a connection of its own that LISTENs from the first
 * subscription until `close`. While it is not connected (before the first LISTEN, after the connection dropped, until
 * it is back) `listening` is false; each loss and each return is announced as "any task may have changed", since
 * notifications sent meanwhile are lost.
 */
export class PostgresTaskChanges implements TaskChanges {
  readonly #listeners = new Set<(taskId: string | undefined) => void>();
  #client: pg.Client | undefined;
  #listening = false;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #nextRetryMs: number;

  constructor(
    private readonly connectionString: string,
    private readonly schema: string,
    private readonly retry: ListenRetry = DEFAULT_RETRY,
  ) {
    this.#nextRetryMs = retry.firstMs;
  }

  get listening(): boolean {
    return this.#listening;
  }

  /** Changes are heard per task: nothing changes unannounced. */
  mark(): string {
    return "";
  }

  onChange(listener: (taskId: string | undefined) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#client && !this.#retryTimer && !this.#closed) void this.#connect();
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#drop();
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    // The schema in the name tells an operator (and pg_stat_activity) whose listener this is.
    const client = new pg.Client({ connectionString: this.connectionString, application_name: this.#name() });
    this.#client = client;
    client.on("notification", (message) => this.#heard(message.payload));
    client.on("error", () => this.#lost(client));
    client.on("end", () => this.#lost(client));
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
    } catch {
      this.#lost(client);
      return;
    }
    if (this.#client !== client) return;
    this.#nextRetryMs = this.retry.firstMs;
    this.#listening = true;
    this.#announce(undefined);
  }

  #name(): string {
    return `cce-task-changes ${this.schema}`.slice(0, 63);
  }

  #heard(payload: string | undefined): void {
    const [schema, taskId] = (payload ?? "").split("/");
    if (schema === this.schema && taskId) this.#announce(taskId);
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#drop();
    void client.end().catch(() => {});
    if (this.#closed || this.#listeners.size === 0) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, this.#nextRetryMs);
    this.#retryTimer.unref();
    this.#nextRetryMs = Math.min(this.#nextRetryMs * 2, this.retry.maxMs);
  }

  #drop(): void {
    this.#client = undefined;
    const was = this.#listening;
    this.#listening = false;
    if (was) this.#announce(undefined);
  }

  #announce(taskId: string | undefined): void {
    for (const listener of this.#listeners) listener(taskId);
  }
}
