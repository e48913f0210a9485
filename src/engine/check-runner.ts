import type { Clock } from "../domain/clock.js";
import { evaluatePrecheck, type PrecheckInput, type PrecheckResult } from "../domain/upgrade-checks.js";
import type { EngineLogger } from "./upgrade-engine.js";

/** A pre-check or backup task whose next move is due. */
export interface DueCheckTask {
  readonly kind: "precheck" | "snapshot";
  readonly id: string;
  readonly phase: "Init" | "Running";
  /** The task's fence as read: a move is written only if nobody moved the task since. */
  readonly fence: number;
}

/** The runner's view of the database. Every move is one conditional write, so runners in several processes agree. */
export interface CheckTaskStore {
  dueTasks(nowMicros: number, limit: number): Promise<DueCheckTask[]>;
  /** `Init → Running` until `dueAtMicros`; false when another runner moved the task first. */
  startTask(task: DueCheckTask, nowMicros: number, dueAtMicros: number): Promise<boolean>;
  /** Evaluates a running pre-check against the cluster as it is now and stores the result, in one transaction. */
  finishPrecheck(
    task: DueCheckTask,
    nowMicros: number,
    expiresAtMicros: number,
    evaluate: (input: PrecheckInput) => PrecheckResult,
  ): Promise<boolean>;
  /** Ends a running backup: `Failed` when a `backup` fault rule applies, else `Success`. */
  finishSnapshot(task: DueCheckTask, nowMicros: number): Promise<boolean>;
}

export interface CheckRunnerOptions {
  readonly pollIntervalMs: number;
  /** How long a pre-check stays `Running`. */
  readonly precheckMs: number;
  /** How long a backup stays `Running`. */
  readonly snapshotMs: number;
  /** How long a finished pre-check counts as fresh (`expireTimeStamp`). */
  readonly precheckValidityMs: number;
}

const BATCH = 64;

/**
 * Moves pre-check and backup tasks `Init → Running → final` at the times stored with them (`due_at`), so a restart
 * picks up where the last process stopped. Separate from the upgrade engine: these moves are single writes, with no
 * long-running step to hold a lease over.
 */
export class CheckTaskRunner {
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(
    private readonly store: CheckTaskStore,
    private readonly clock: Clock,
    private readonly options: CheckRunnerOptions,
    private readonly logger: EngineLogger,
  ) {}

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /** Makes every due move once; returns how many tasks moved. */
  async runOnce(): Promise<number> {
    const now = this.clock.nowMicros();
    let moved = 0;
    for (const task of await this.store.dueTasks(now, BATCH)) {
      if (await this.#move(task, now)) moved += 1;
    }
    return moved;
  }

  #move(task: DueCheckTask, now: number): Promise<boolean> {
    const { precheckMs, snapshotMs, precheckValidityMs } = this.options;
    if (task.phase === "Init") {
      const durationMs = task.kind === "precheck" ? precheckMs : snapshotMs;
      return this.store.startTask(task, now, now + Math.round(durationMs * 1000));
    }
    if (task.kind === "snapshot") return this.store.finishSnapshot(task, now);
    return this.store.finishPrecheck(task, now, now + precheckValidityMs * 1000, evaluatePrecheck);
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      try {
        if ((await this.runOnce()) > 0) continue;
      } catch (error) {
        this.logger.error({ err: error }, "moving check tasks failed; retrying");
      }
      await this.clock.sleep(this.options.pollIntervalMs, this.#stop.signal).catch(() => undefined);
    }
  }
}
