import type { Clock } from "../domain/clock.js";
import { CLUSTER_JOB_MS, type ClusterJobType } from "../domain/cluster-lifecycle.js";
import { PollingLoop } from "./polling-loop.js";
import type { EngineLogger } from "./upgrade-engine.js";

/** A lifecycle job whose next move is due. */
export interface DueClusterJob {
  readonly id: string;
  readonly type: ClusterJobType;
  readonly clusterId: string;
  /** The cluster, pool or node the job creates, scales or deletes. */
  readonly resourceId: string;
  readonly phase: "Initializing" | "Running";
  /** The job's fence as read: a move is written only if nobody moved the job since. */
  readonly fence: number;
}

/** The runner's view of the database: each move one conditional write, so runners in several processes agree. */
export interface ClusterJobStore {
  dueJobs(nowMicros: number, limit: number): Promise<DueClusterJob[]>;
  /** `Initializing → Running`, due again at `dueAtMicros`; false when another runner moved it first. */
  startJob(job: DueClusterJob, nowMicros: number, dueAtMicros: number): Promise<boolean>;
  /** `Running → Success` with the job's effect on the clusters, pools and nodes, in one transaction. */
  finishJob(job: DueClusterJob, nowMicros: number): Promise<boolean>;
}

export interface ClusterJobRunnerOptions {
  readonly pollIntervalMs: number;
  /** Divides the jobs' durations, as `SIM_SPEED` divides the simulator's steps. */
  readonly speed: number;
}

const BATCH = 64;

/**
 * Moves the cluster lifecycle's jobs `Initializing → Running → Success` on the simulated clock: a job runs its
 * type's duration divided by the speed, then its effect (a cluster `Available` or gone, nodes `Active` or gone)
 * commits with its last move. Nothing is held between moves, so a runner that dies loses nothing: the next one
 * makes the move it did not.
 */
export class ClusterJobRunner {
  readonly #polling: PollingLoop;

  constructor(
    private readonly store: ClusterJobStore,
    private readonly clock: Clock,
    private readonly options: ClusterJobRunnerOptions,
    logger: EngineLogger,
  ) {
    this.#polling = new PollingLoop(
      clock,
      options.pollIntervalMs,
      () => this.runOnce(),
      (error) => logger.error({ err: error }, "moving cluster jobs failed; retrying"),
    );
  }

  start(): void {
    this.#polling.start();
  }

  stop(): Promise<void> {
    return this.#polling.stop();
  }

  /** Makes every due move once; returns how many jobs moved. */
  async runOnce(): Promise<number> {
    const now = this.clock.nowMicros();
    const due = await this.store.dueJobs(now, BATCH);
    let moved = 0;
    for (const job of due) if (await this.#move(job, now)) moved++;
    return moved;
  }

  #move(job: DueClusterJob, now: number): Promise<boolean> {
    if (job.phase === "Initializing") {
      const durationMicros = Math.round((CLUSTER_JOB_MS[job.type] / this.options.speed) * 1000);
      return this.store.startJob(job, now, now + durationMicros);
    }
    return this.store.finishJob(job, this.clock.nowMicros());
  }
}
