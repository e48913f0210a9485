import { useState } from "react";
import type { ApiClient, PlanStep, UpgradePlan, UpgradeTask } from "../api.js";
import { ClusterBreadcrumbs } from "../components/breadcrumbs.js";
import { ErrorNotice, PhaseBadge, ProgressBar } from "../components/status.js";
import { usePolling } from "../polling.js";

type Control = "pause" | "continue" | "retry";

interface TaskView {
  readonly task: UpgradeTask;
  readonly plan: UpgradePlan;
}

/** An upgrade task as it runs: progress, the plan's batches and nodes, the failure reason and the controls. */
export function TaskPage({ api, clusterId, taskId }: { api: ApiClient; clusterId: string; taskId: string }) {
  const view = usePolling<TaskView>(async () => {
    const [task, plan] = await Promise.all([api.showUpgrade(clusterId, taskId), api.showPlan(clusterId, taskId)]);
    return { task, plan };
  }, `task-${taskId}`);
  const [controlError, setControlError] = useState<Error>();

  const control = async (action: Control) => {
    setControlError(undefined);
    try {
      await api.controlUpgrade(clusterId, action);
    } catch (failure) {
      setControlError(failure as Error);
    }
    view.refresh();
  };

  const task = view.data?.task;
  const plan = view.data?.plan;
  return (
    <>
      <ClusterBreadcrumbs api={api} clusterId={clusterId} page="Upgrade task" />
      <h1 tabIndex={-1}>{task ? `Upgrade to ${task.spec.targetVersion}` : "Upgrade task"}</h1>
      <ErrorNotice error={controlError ?? view.error} />
      {task && plan && (
        <>
          <section className="card task-summary" aria-label="Task status">
            <p>
              <PhaseBadge phase={task.status.phase} />{" "}
              {plan.pauseRequested && task.status.phase !== "Pause" && <span>Pausing after the current step…</span>}
              <span className="versions">
                {task.spec.version} → {task.spec.targetVersion}
              </span>
            </p>
            <ProgressBar progress={task.status.progress} label="Upgrade progress" />
            {plan.failureReason && (
              <p className="notice notice-error" role="alert">
                <strong>Failed:</strong> {plan.failureReason}
              </p>
            )}
            <Controls phase={task.status.phase} pauseRequested={plan.pauseRequested} onControl={control} />
          </section>
          <h2>Plan</h2>
          <ol className="plan">
            {plan.steps.map((step) => (
              <PlanStepItem key={step.name} step={step} />
            ))}
          </ol>
        </>
      )}
    </>
  );
}

function Controls(props: { phase: string; pauseRequested: boolean; onControl: (action: Control) => void }) {
  const { phase, pauseRequested, onControl } = props;
  const running = ["Init", "Queuing", "Running"].includes(phase);
  return (
    <div className="controls">
      <button type="button" onClick={() => onControl("pause")} disabled={!running || pauseRequested}>
        Pause
      </button>
      <button type="button" onClick={() => onControl("continue")} disabled={phase !== "Pause"}>
        Continue
      </button>
      <button type="button" onClick={() => onControl("retry")} disabled={phase !== "Failed"}>
        Retry
      </button>
    </div>
  );
}

function stepTitle(step: PlanStep): string {
  if (step.kind === "node" && step.batch !== undefined) return `Node batch ${step.batch}`;
  return step.name;
}

/** Milliseconds since the epoch of a Go `time.Time.String()` text (`2026-12-02 01:32:03.854122 +0000 UTC`). */
function goTimeMillis(text: string): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,3})?\d* ([+-]\d{2})(\d{2})/.exec(text);
  if (!match) return undefined;
  const [, date, time, fraction = "", hours, minutes] = match;
  return Date.parse(`${date}T${time}${fraction}${hours}:${minutes}`);
}

/** How long a step took, or has taken so far while it runs. */
function stepDuration(step: PlanStep): string | undefined {
  const started = step.startedAt ? goTimeMillis(step.startedAt) : undefined;
  if (started === undefined) return undefined;
  const ended = step.finishedAt ? goTimeMillis(step.finishedAt) : Date.now();
  if (ended === undefined) return undefined;
  const seconds = Math.max(0, ended - started) / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** The version a node runs: the target once its step succeeded, else where it goes from and to. */
function targetVersion(target: PlanStep["targets"][number]): string {
  return target.phase === "Success" ? target.toVersion : `${target.fromVersion} → ${target.toVersion}`;
}

function PlanStepItem({ step }: { step: PlanStep }) {
  const showTargets = step.kind === "node" || step.kind === "addon";
  const duration = stepDuration(step);
  return (
    <li className={`plan-step plan-step-${step.phase.toLowerCase()}`}>
      <div className="plan-step-head">
        <span className="plan-step-name">{stepTitle(step)}</span>
        <PhaseBadge phase={step.phase} />
        {duration && <span className="hint">{duration}</span>}
        {step.attempts > 1 && <span className="hint">attempt {step.attempts}</span>}
      </div>
      {step.error && (
        <p className="plan-error">
          {step.error.code}: {step.error.message}
        </p>
      )}
      {showTargets && (
        <ul className="plan-targets" aria-label={`${stepTitle(step)} targets`}>
          {step.targets.map((target) => (
            <li key={target.name}>
              <span>{target.name}</span> <PhaseBadge phase={target.phase} />{" "}
              <span className="hint">{targetVersion(target)}</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
