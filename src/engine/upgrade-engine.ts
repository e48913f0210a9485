import type { Clock } from "../domain/clock.js";
import type { ClusterDriver, EngineMetrics, EngineStore } from "./ports.js";
import { type RunEnd, runClaimedTask } from "./task-run.js";

export type EngineState = "starting" | "running" | "draining" | "stopped";

export interface EngineOptions {
  /** This worker's name in leases; unique per process. */
  readonly owner: string;
  /** Tasks run at once. */
  readonly concurrency: number;
  /**
   * The fraction of `concurrency` one project may hold while another project has work waiting (at least one slot,
   * rounded down); 1 lets a project fill every slot. A project alone with work may use every slot anyway.
   */
  readonly projectShare: number;
  readonly leaseTtlMs: number;
  /** Pause between claim rounds when there was nothing to claim. */
  readonly pollIntervalMs: number;
  /** Attempts of a step whose failure says it is retryable, before the task fails. */
  readonly maxStepAttempts: number;
  readonly retryBackoffMs: number;
  /** Where step durations and lease takeovers are reported; none when absent. */
  readonly metrics?: EngineMetrics;
}

/** The subset of a pino logger the engine writes to. */
export interface EngineLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * The durable executor: claims runnable tasks under leases, up to `concurrency` at once, and runs them through the
 * driver. Lifecycle: `starting → running → draining → stopped`; draining stops claiming, lets current steps finish
 * within the grace period and hands the tasks back (never failing them).
 */
export class UpgradeEngine {
  #state: EngineState = "starting";
  readonly #runs = new Map<string, { done: Promise<RunEnd | undefined>; abort: AbortController }>();
  readonly #stopLoop = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;

  constructor(
    private readonly store: EngineStore,
    private readonly driver: ClusterDriver,
    private readonly clock: Clock,
    private readonly options: EngineOptions,
    private readonly logger: EngineLogger,
  ) {}

  get state(): EngineState {
    return this.#state;
  }

  /** The slots one project may hold while others wait: its share of the concurrency, at least one. */
  get #projectSlots(): number {
    return Math.max(1, Math.floor(this.options.concurrency * this.options.projectShare));
  }

  /** Tasks this engine is running now. */
  get activeTasks(): number {
    return this.#runs.size;
  }

  start(): void {
    if (this.#state !== "starting") throw new Error(`cannot start an engine that is ${this.#state}`);
    this.#state = "running";
    this.#loop = this.#claimLoop();
  }

  /** Claims what fits into the free slots and starts running it; returns how many tasks were claimed. */
  async claimOnce(): Promise<number> {
    const free = this.options.concurrency - this.#runs.size;
    if (free <= 0 || this.#state !== "running") return 0;
    const { leaseTtlMs, owner } = this.options;
    const tasks = await this.store.claimRunnableTasks(
      owner,
      this.clock.nowMicros(),
      leaseTtlMs * 1000,
      free,
      this.#projectSlots,
    );
    for (const task of tasks) {
      // The claim returns the row as updated, so the previous owner is gone; a `Running` phase says someone had it.
      if (task.phase === "Running") this.options.metrics?.leaseTakenOver();
      const abort = new AbortController();
      const done = runClaimedTask(task, this.#runDeps(), abort).then(
        (end) => {
          this.logger.info({ taskId: task.id, end }, "task run ended");
          return end;
        },
        (error: unknown) => {
          this.logger.error({ taskId: task.id, err: error }, "task run crashed; its lease will expire and it resumes");
          return undefined;
        },
      );
      this.#runs.set(task.id, { done, abort });
      void done.finally(() => {
        this.#runs.delete(task.id);
        this.#wake?.();
      });
    }
    return tasks.length;
  }

  /** Stops claiming, waits up to `graceMs` for current steps, then hands every task back. */
  async stop(graceMs: number): Promise<void> {
    if (this.#state === "stopped" || this.#state === "draining") return this.#loop;
    this.#state = "draining";
    this.#stopLoop.abort();
    await this.#loop;
    const runs = [...this.#runs.values()];
    const all = Promise.all(runs.map((run) => run.done));
    // Cancelled once the runs end: a pending timer would keep a worker thread alive for the whole grace.
    const graceTimer = new AbortController();
    const graceOver = this.clock.sleep(graceMs, graceTimer.signal).then(
      () => "timeout" as const,
      () => "ended" as const,
    );
    const ended = await Promise.race([all, graceOver]);
    graceTimer.abort();
    if (ended === "timeout") {
      for (const run of runs) run.abort.abort(new Error("drain grace period over"));
      await all;
    }
    this.#state = "stopped";
  }

  #runDeps() {
    return {
      store: this.store,
      driver: this.driver,
      clock: this.clock,
      leaseTtlMs: this.options.leaseTtlMs,
      maxStepAttempts: this.options.maxStepAttempts,
      retryBackoffMs: this.options.retryBackoffMs,
      draining: () => this.#state !== "running",
      ...(this.options.metrics && { metrics: this.options.metrics }),
      log: (level: "info" | "warn" | "error", fields: object, message: string) => this.logger[level](fields, message),
    };
  }

  /** Background loop: never throws; a failing claim is logged and retried after a jittered pause. */
  async #claimLoop(): Promise<void> {
    let failures = 0;
    while (this.#state === "running") {
      let claimed = 0;
      try {
        claimed = await this.claimOnce();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.logger.error({ err: error, failures }, "claiming tasks failed");
      }
      if (claimed > 0 && failures === 0) continue;
      const pauseMs = this.options.pollIntervalMs * (failures === 0 ? 1 : Math.min(2 ** failures, 30) * Math.random());
      await this.#idle(pauseMs);
    }
  }

  /** Waits for the poll interval, a finished run (a free slot) or stop, whichever comes first. */
  async #idle(ms: number): Promise<void> {
    const woken = new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    await Promise.race([this.clock.sleep(ms, this.#stopLoop.signal).catch(() => undefined), woken]);
    this.#wake = undefined;
  }
}
