import { setMaxListeners } from "node:events";
import type { Clock } from "../domain/clock.js";
import {
  type PlanStep,
  type PlanTarget,
  planProgress,
  planUpgrade,
  type StepFailure,
  type StepKind,
  type UpgradePlan,
} from "../domain/upgrade-plan.js";
import { runEmbeddedPrecheck } from "./embedded-precheck.js";
import type {
  ClaimedTask,
  ClusterDriver,
  EngineMetrics,
  EngineStore,
  ReachedTarget,
  StepContext,
  TargetOutcome,
  TaskChange,
} from "./ports.js";

/** What a task run needs from its engine. */
export interface TaskRunDeps {
  readonly store: EngineStore;
  readonly driver: ClusterDriver;
  readonly clock: Clock;
  readonly leaseTtlMs: number;
  readonly maxStepAttempts: number;
  readonly retryBackoffMs: number;
  /** True once the engine drains: the run stops before its next step. */
  readonly draining: () => boolean;
  readonly log: (level: "info" | "warn" | "error", fields: object, message: string) => void;
  readonly metrics?: EngineMetrics;
}

/** Why a run ended: the task left `Running`, the lease was lost, or the engine handed the task back. */
export type RunEnd = "finished" | "paused" | "failed" | "lost" | "released";

class LeaseLostError extends Error {}

/** Starts of one step (crash takeovers and hand-backs mid-step included) allowed per retryable attempt. */
const STARTS_PER_ATTEMPT = 3;

/**
 * Runs one claimed task step by step until it succeeds, fails, pauses, loses its lease or is handed back. Each step's
 * start and result are committed under the lease; the driver is asked what is already done before it acts.
 */
export async function runClaimedTask(task: ClaimedTask, deps: TaskRunDeps, abort: AbortController): Promise<RunEnd> {
  // Every target of a batch waits on this signal at once.
  setMaxListeners(0, abort.signal);
  const renewal = renewLease(task, deps, abort);
  try {
    return await runSteps(task, deps, abort.signal);
  } catch (error) {
    if (error instanceof LeaseLostError || abort.signal.reason instanceof LeaseLostError) return "lost";
    if (!abort.signal.aborted) throw error;
    // Handed back mid-step (the drain's grace ran out): the successor repeats the step, observing first.
    await deps.store.releaseLease(task.lease);
    return "released";
  } finally {
    abort.abort(new Error("run ended"));
    await renewal;
  }
}

async function runSteps(task: ClaimedTask, deps: TaskRunDeps, signal: AbortSignal): Promise<RunEnd> {
  const plan = task.plan ?? (await makePlan(task, deps));
  let cursor = task.cursor;
  // What the last execution reached rides on the next commit, under the lease.
  let reached: ReachedTarget[] = [];
  const commit = async (change: Omit<TaskChange, "plan" | "cursor" | "progress" | "reached">) => {
    const outcome = await deps.store.commit(
      task.lease,
      { ...change, plan, cursor, progress: planProgress(plan), reached },
      deps.clock.nowMicros(),
    );
    if (outcome === "lost") throw new LeaseLostError();
    reached = [];
    return outcome.phase;
  };
  if (task.phase === "Init") await commit({ phase: "Queuing", honourPause: false });
  // A pause asked for while no worker held the task is honoured before any step starts.
  if (task.pauseRequested && (await commit({ phase: "Running", honourPause: true })) === "Pause") return "paused";

  let entered = false;
  let started = false;
  while (cursor < plan.steps.length) {
    const step = plan.steps[cursor] as PlanStep;
    if (!started) {
      if (deps.draining()) {
        await deps.store.releaseLease(task.lease);
        return "released";
      }
      if (step.phase === "Running" && attemptsThisRun(step) >= deps.maxStepAttempts * STARTS_PER_ATTEMPT) {
        // Its workers keep dying or giving it up mid-step: a crash loop ends here instead of repeating forever.
        const failure = { code: "StepAttemptsExhausted", message: `started ${step.attempts} times`, retryable: false };
        return failTask(task, step, failure, deps, commit);
      }
      startStep(step, deps.clock.nowMicros());
      const cluster = entered ? undefined : { phase: "Upgrading", statusReason: null };
      await commit({ phase: "Running", honourPause: false, ...(cluster && { cluster }) });
      entered = true;
    }
    started = false;

    const executedFrom = deps.clock.nowMicros();
    const { failure, reached: reachedNow } = await executeStep(task, step, cursor, deps, signal);
    reached = reachedNow;
    const now = deps.clock.nowMicros();
    deps.metrics?.stepFinished(step.kind, (now - executedFrom) / 1e6);
    if (failure === undefined) {
      finishStep(step, "Success", now, null);
      cursor += 1;
      if (cursor === plan.steps.length) break;
      // One commit records this step's result and starts the next; a pause honoured here stores the plan as it
      // was between the two steps instead.
      const next = plan.steps[cursor] as PlanStep;
      const unstarted = { ...next };
      const betweenSteps = () => ({ steps: plan.steps.map((s) => (s === next ? unstarted : s)) });
      if (!deps.draining()) {
        startStep(next, now);
        started = true;
      }
      if ((await commit({ phase: "Running", honourPause: true, planIfPaused: betweenSteps })) === "Pause") {
        return "paused";
      }
      continue;
    }
    if (failure.retryable && attemptsThisRun(step) < deps.maxStepAttempts) {
      step.error = failure;
      await commit({ phase: "Running", honourPause: false });
      await deps.clock.sleep(backoffMs(deps.retryBackoffMs, step.attempts), signal);
      continue;
    }
    return failTask(task, step, failure, deps, commit);
  }
  await commit({
    phase: "Success",
    completedAt: deps.clock.nowMicros(),
    failureReason: null,
    honourPause: false,
    cluster: {
      phase: "Available",
      version: task.targetVersion,
      platformVersion: task.targetPlatformVersion,
      statusReason: null,
    },
  });
  return "finished";
}

async function failTask(
  task: ClaimedTask,
  step: PlanStep,
  failure: StepFailure,
  deps: TaskRunDeps,
  commit: (change: Omit<TaskChange, "plan" | "cursor" | "progress">) => Promise<unknown>,
): Promise<RunEnd> {
  finishStep(step, "Failed", deps.clock.nowMicros(), failure);
  const reason = `${step.name}: ${failure.code}: ${failure.message}`;
  await commit({
    phase: "Failed",
    failureReason: reason,
    honourPause: false,
    cluster: { phase: "Available", statusReason: reason },
  });
  deps.log("warn", { taskId: task.id, step: step.name, code: failure.code }, "upgrade step failed");
  return "failed";
}

/** Attempts since the step's current run began (a user `retry` starts a new run). */
function attemptsThisRun(step: PlanStep): number {
  return step.attempts - (step.runFromAttempt ?? 1) + 1;
}

async function makePlan(task: ClaimedTask, deps: TaskRunDeps): Promise<UpgradePlan> {
  const [inventory, loads] = await Promise.all([deps.store.clusterInventory(task.clusterId), nodeLoads(task, deps)]);
  return planUpgrade({
    clusterVersion: task.fromVersion,
    targetVersion: task.targetVersion,
    pools: inventory.pools,
    nodes: inventory.nodes.map((node) => ({ ...node, load: loads.get(node.name) ?? 0 })),
    addons: inventory.addons,
    action: task.action,
  });
}

/** Node loads only order a pool's nodes: a cluster that cannot say plans them by name. */
async function nodeLoads(task: ClaimedTask, deps: TaskRunDeps): Promise<ReadonlyMap<string, number>> {
  if (!deps.driver.nodeLoads) return new Map();
  try {
    return await deps.driver.nodeLoads({ taskId: task.id, clusterId: task.clusterId });
  } catch (error) {
    deps.log("warn", { taskId: task.id, err: error }, "reading node loads failed; nodes are planned by name");
    return new Map();
  }
}

function startStep(step: PlanStep, now: number): void {
  step.phase = "Running";
  step.attempts += 1;
  step.startedAt ??= now;
  step.error = null;
}

function finishStep(step: PlanStep, phase: "Success" | "Failed", now: number, failure: StepFailure | null): void {
  step.phase = phase;
  step.finishedAt = now;
  step.error = failure;
}

/**
 * Runs the step's unfinished targets together (a batch of nodes upgrades at once), then lets the driver settle the
 * step: the first failure, if any, and the versions the targets that succeeded reached.
 */
async function executeStep(
  task: ClaimedTask,
  step: PlanStep,
  stepIndex: number,
  deps: TaskRunDeps,
  signal: AbortSignal,
): Promise<{ failure: StepFailure | undefined; reached: ReachedTarget[] }> {
  const context: StepContext = {
    taskId: task.id,
    clusterId: task.clusterId,
    step,
    stepIndex,
    attempt: step.attempts,
    fence: task.lease.fence,
  };
  const pending = step.targets.filter((target) => target.phase !== "Success");
  const outcomes = await Promise.all(pending.map((target) => runTarget(context, target, deps, signal)));
  const reached = VERSIONED_KINDS.has(step.kind)
    ? pending.flatMap((target, index) => {
        const outcome = outcomes[index];
        if (!outcome?.ok) return [];
        const version = outcome.reached?.version ?? target.toVersion;
        return [{ kind: step.kind, key: target.id ?? target.name, version }];
      })
    : [];
  const failed = outcomes.findIndex((outcome) => !outcome.ok);
  const outcome = outcomes[failed];
  if (!outcome || outcome.ok) return { failure: await deps.driver.settle?.(context, signal), reached };
  const target = pending[failed] as PlanTarget;
  const prefix = step.kind === "node" || step.kind === "addon" ? `${target.name}: ` : "";
  return { failure: { ...outcome.failure, message: `${prefix}${outcome.failure.message}` }, reached };
}

/** Step kinds whose targets change version. */
const VERSIONED_KINDS: ReadonlySet<StepKind> = new Set(["master", "addon", "node"]);

async function runTarget(
  context: StepContext,
  target: PlanTarget,
  deps: TaskRunDeps,
  signal: AbortSignal,
): Promise<TargetOutcome> {
  let outcome: TargetOutcome;
  try {
    // Only a step that ran before (a crash, a lost lease, a retry) can have changed the cluster: ask first then.
    const done = context.attempt > 1 && (await deps.driver.observe(context, target));
    outcome = done ? { ok: true } : await applyTarget(context, target, deps, signal);
  } catch (error) {
    // The run's own abort (lost lease, drain) is not the driver's failure.
    signal.throwIfAborted();
    deps.log("error", { taskId: context.taskId, target: target.name, err: error }, "the driver threw");
    outcome = { ok: false, failure: thrownFailure(error) };
  }
  signal.throwIfAborted();
  target.phase = outcome.ok ? "Success" : "Failed";
  target.finishedAt = outcome.ok ? deps.clock.nowMicros() : null;
  return outcome;
}

/** What a target's step does: the pre-check by the standalone pre-check's rules when the driver can inspect. */
function applyTarget(
  context: StepContext,
  target: PlanTarget,
  deps: TaskRunDeps,
  signal: AbortSignal,
): Promise<TargetOutcome> {
  const { driver } = deps;
  if (context.step.kind === "precheck" && driver.inspect) {
    return runEmbeddedPrecheck(context, target, deps.store, driver.inspect.bind(driver), signal);
  }
  return driver.apply(context, target, signal);
}

/**
 * A driver that throws has failed the step, retryably (the attempt cap ends it). The reason names the error's kind
 * and code only: its message may carry hosts or credentials, and it goes to the server's log instead.
 */
function thrownFailure(error: unknown): StepFailure {
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  const kind = typeof code === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? `${name} (${code})` : name;
  return { code: "DriverError", message: `the driver threw ${kind}; the server log has the details`, retryable: true };
}

/** Exponential backoff with full jitter. */
function backoffMs(baseMs: number, attempt: number): number {
  return Math.random() * baseMs * 2 ** Math.min(attempt, 10);
}

/** Keeps the lease alive while the run works; aborts the run when the lease is lost. */
async function renewLease(task: ClaimedTask, deps: TaskRunDeps, abort: AbortController): Promise<void> {
  const every = deps.leaseTtlMs / 3;
  while (!abort.signal.aborted) {
    try {
      await deps.clock.sleep(every, abort.signal);
      const fence = task.lease.fence;
      const renewed = await deps.store.renewLease(task.lease, deps.clock.nowMicros() + deps.leaseTtlMs * 1000);
      // A commit of our own that bumped the fence meanwhile is not a lost lease.
      if (!renewed && task.lease.fence === fence && !abort.signal.aborted) abort.abort(new LeaseLostError());
    } catch (error) {
      if (abort.signal.aborted) return;
      deps.log("warn", { taskId: task.id, err: error }, "lease renewal failed; retrying");
    }
  }
}
