import type { Clock } from "../domain/clock.js";
import { evaluatePrecheck, type PrecheckInput, type PrecheckResult, precheckNotRun } from "../domain/upgrade-checks.js";
import type { PlanStep, StepFailure, StepKind } from "../domain/upgrade-plan.js";
import { PollingLoop } from "./polling-loop.js";
import type { ClusterCheckDriver, ClusterDriverLookup, StepContext } from "./ports.js";
import type { EngineLogger } from "./upgrade-engine.js";

/** A pre-check or backup task whose next move is due. */
export interface DueCheckTask {
  readonly kind: "precheck" | "snapshot";
  readonly id: string;
  readonly clusterId: string;
  readonly phase: "Init" | "Running";
  /** The task's fence as read: a move is written only if nobody moved the task since. */
  readonly fence: number;
}

/** A task a runner holds while the cluster's driver works on it. */
export interface HeldCheckTask extends DueCheckTask {
  /** 1 for the first hold; more when a runner died holding it and another took it over. */
  readonly attempt: number;
}

/** How a backup ended. */
export interface SnapshotResult {
  readonly phase: "Success" | "Failed";
  readonly message: string;
}

/** The runner's view of the database. Every move is one conditional write, so runners in several processes agree. */
export interface CheckTaskStore {
  dueTasks(nowMicros: number, limit: number): Promise<DueCheckTask[]>;
  /** `Init → Running`, due at once; false when another runner moved the task first. */
  startTask(task: DueCheckTask, nowMicros: number): Promise<boolean>;
  /**
   * Takes a `Running` task until `untilMicros`, so no other runner works on it meanwhile; undefined when another
   * runner moved it first. A hold that runs out (its runner died) makes the task due again.
   */
  holdTask(task: DueCheckTask, nowMicros: number, untilMicros: number): Promise<HeldCheckTask | undefined>;
  /** Extends a hold; false once the task moved. */
  extendHold(task: HeldCheckTask, untilMicros: number): Promise<boolean>;
  /** The cluster as the service's inventory has it, for a held pre-check; undefined once the task was deleted. */
  precheckInput(task: HeldCheckTask): Promise<Omit<PrecheckInput, "inspection"> | undefined>;
  /** Stores a held pre-check's result; false once the task moved. */
  finishPrecheck(
    task: HeldCheckTask,
    nowMicros: number,
    expiresAtMicros: number,
    result: PrecheckResult,
  ): Promise<boolean>;
  /** Ends a held backup; false once the task moved. */
  finishSnapshot(task: HeldCheckTask, nowMicros: number, result: SnapshotResult): Promise<boolean>;
}

export interface CheckRunnerOptions {
  readonly pollIntervalMs: number;
  /** How long a runner holds a task per renewal while the driver works; renewed at a third of it. */
  readonly holdMs: number;
  /** How long a finished pre-check counts as fresh (`expireTimeStamp`). */
  readonly precheckValidityMs: number;
}

const BATCH = 64;
/** Holds a task may be taken over after its runner died, before it ends `Failed` instead. */
const MAX_ATTEMPTS = 3;

/**
 * Moves pre-check and backup tasks `Init → Running → final`. A running task is held (a short lease renewed while
 * the cluster's driver works) and asked of the cluster's driver: a backup is `apply` of a `backup` step, a pre-check
 * the driver's inspection plus the rules over the service's inventory. A runner that dies holding a task leaves it
 * to the next one, a bounded number of times.
 */
export class CheckTaskRunner {
  readonly #polling: PollingLoop;
  readonly #inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly store: CheckTaskStore,
    private readonly drivers: ClusterDriverLookup,
    private readonly clock: Clock,
    private readonly options: CheckRunnerOptions,
    private readonly logger: EngineLogger,
  ) {
    this.#polling = new PollingLoop(
      clock,
      options.pollIntervalMs,
      () => this.#launchDue(),
      (error) => logger.error({ err: error }, "moving check tasks failed; retrying"),
    );
  }

  start(): void {
    this.#polling.start();
  }

  /** Stops taking tasks and aborts the driver calls under way; their tasks are taken over once the holds run out. */
  async stop(): Promise<void> {
    await this.#polling.stop();
    await Promise.allSettled(this.#inFlight.values());
  }

  /** Makes every due move once and waits for them; returns how many tasks moved. */
  async runOnce(): Promise<number> {
    const moves = await this.#launchDue();
    return (await Promise.all(moves)).filter(Boolean).length;
  }

  /** Starts a move for each due task not already moving here. */
  async #launchDue(): Promise<Promise<boolean>[]> {
    const now = this.clock.nowMicros();
    const due = (await this.store.dueTasks(now, BATCH)).filter((task) => !this.#inFlight.has(task.id));
    return due.map((task) => {
      // Nobody awaits a move the loop started: a failing one (the database gone a moment) is logged, and the task,
      // unmoved or with its hold running out, is due again.
      const move = this.#move(task, now)
        .catch((error: unknown) => {
          this.logger.error({ err: error, taskId: task.id }, "moving a check task failed; it is due again");
          return false;
        })
        .finally(() => this.#inFlight.delete(task.id));
      this.#inFlight.set(task.id, move);
      return move;
    });
  }

  async #move(task: DueCheckTask, now: number): Promise<boolean> {
    if (task.phase === "Init") return this.store.startTask(task, now);
    const held = await this.store.holdTask(task, now, now + this.options.holdMs * 1000);
    if (!held) return false;
    if (held.attempt > MAX_ATTEMPTS) return this.#fail(held, exhausted(held));
    const renewal = this.#renewWhileWorking(held);
    try {
      const driver = await this.drivers.forCluster(held.clusterId);
      if (held.kind === "snapshot") return await this.#backUp(driver, held, renewal.signal);
      return await this.#precheck(driver, held, renewal.signal);
    } finally {
      renewal.end();
    }
  }

  /** A backup taken once per task: a runner that takes over asks first whether the one before it finished. */
  async #backUp(driver: ClusterCheckDriver, held: HeldCheckTask, signal: AbortSignal): Promise<boolean> {
    const { context, target } = checkStep(held, "backup", "", "");
    const outcome = await this.#asking(held, signal, async () => {
      if (held.attempt > 1 && (await driver.observe(context, target))) return { ok: true } as const;
      return driver.apply(context, target, signal);
    });
    if (outcome === "lost") return false;
    if (!outcome.ok) return this.#fail(held, outcome.failure);
    const taken = { phase: "Success", message: "control-plane backup taken" } as const;
    return this.store.finishSnapshot(held, this.clock.nowMicros(), taken);
  }

  async #precheck(driver: ClusterCheckDriver, held: HeldCheckTask, signal: AbortSignal): Promise<boolean> {
    const known = await this.store.precheckInput(held);
    if (!known) return false;
    const { context, target } = checkStep(held, "precheck", known.cluster.version, known.targetVersion);
    const request = { hasNodes: known.nodes.length > 0 };
    const inspection = await this.#asking(held, signal, () => driver.inspect(context, target, request, signal));
    if (inspection === "lost") return false;
    const now = this.clock.nowMicros();
    const expiresAt = now + this.options.precheckValidityMs * 1000;
    return this.store.finishPrecheck(held, now, expiresAt, evaluatePrecheck({ ...known, inspection }));
  }

  /** A driver's answer; what it throws is a failure with a code, unless the hold was lost meanwhile. */
  async #asking<T>(
    held: HeldCheckTask,
    signal: AbortSignal,
    ask: () => Promise<T>,
  ): Promise<T | { ok: false; failure: StepFailure } | "lost"> {
    try {
      return await ask();
    } catch (error) {
      if (signal.aborted) return "lost";
      this.logger.error({ err: error, taskId: held.id }, "a check task's driver threw");
      return { ok: false, failure: DRIVER_THREW };
    }
  }

  #fail(held: HeldCheckTask, failure: Omit<StepFailure, "retryable">): Promise<boolean> {
    const now = this.clock.nowMicros();
    if (held.kind === "snapshot") {
      return this.store.finishSnapshot(held, now, { phase: "Failed", message: `${failure.code}: ${failure.message}` });
    }
    const expiresAt = now + this.options.precheckValidityMs * 1000;
    return this.store.finishPrecheck(held, now, expiresAt, precheckNotRun(failure));
  }

  /** Keeps the hold while the driver works; aborts the work once the hold is lost or the runner stops. */
  #renewWhileWorking(held: HeldCheckTask): { signal: AbortSignal; end(): void } {
    const work = new AbortController();
    const stopping = this.#polling.stopping;
    const onStop = () => work.abort(stopping.reason);
    // A stop that came while the task was being held has fired already: an abort listener would never hear it.
    if (stopping.aborted) onStop();
    else stopping.addEventListener("abort", onStop, { once: true });
    const timer = setInterval(async () => {
      const until = this.clock.nowMicros() + this.options.holdMs * 1000;
      const kept = await this.store.extendHold(held, until).catch(() => false);
      if (!kept) work.abort(new Error("the hold on the check task was lost"));
    }, this.options.holdMs / 3);
    return {
      signal: work.signal,
      end: () => {
        clearInterval(timer);
        stopping.removeEventListener("abort", onStop);
      },
    };
  }
}

/** The name a backup's step and target carry; `backup` fault rules may name it to fail only these backups. */
export const SNAPSHOT_TARGET = "master-backup";

/** What a driver that throws is taken to have said. */
const DRIVER_THREW: StepFailure = {
  code: "DriverError",
  message: "the driver threw; the server log has the details",
  retryable: false,
};

function exhausted(held: HeldCheckTask): Omit<StepFailure, "retryable"> {
  return {
    code: "CheckAttemptsExhausted",
    message: `the task was taken over ${held.attempt - 1} times after its runner stopped; create a new one`,
  };
}

/** A check as the one step of a one-step plan, so drivers (and hooks) see it as they see an upgrade's steps. */
function checkStep(held: HeldCheckTask, kind: StepKind, fromVersion: string, toVersion: string) {
  const name = kind === "backup" ? SNAPSHOT_TARGET : kind;
  const target = { name, fromVersion, toVersion, phase: "Running" as const, finishedAt: null };
  const step: PlanStep = {
    kind,
    name,
    weight: 1,
    targets: [target],
    phase: "Running",
    attempts: held.attempt,
    startedAt: null,
    finishedAt: null,
    error: null,
  };
  const context: StepContext = {
    taskId: held.id,
    clusterId: held.clusterId,
    step,
    stepIndex: 0,
    attempt: held.attempt,
    fence: held.fence,
  };
  return { context, target };
}
