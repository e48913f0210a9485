/** An upgrade task's plan as the user sees it: the step a watched task is on, and `tasks plan`'s table. */
import type { UpgradeTaskPlan } from "../client/index.js";
import type { CommandContext } from "./commands.js";
import { printJson, printTable } from "./output.js";
import type { TaskView } from "./watch.js";

type PlanStep = UpgradeTaskPlan["steps"][number];

/** Node names a batch's label shows before it only counts the rest: a batch may hold hundreds. */
const LABELLED_NODES = 3;

/** What `--watch` shows at one poll; the plan carries the task's phase and progress as well as its steps. */
export function planView(plan: UpgradeTaskPlan): TaskView {
  return { phase: plan.phase, percent: Number(plan.progress), step: currentStepLabel(plan) };
}

/** `control-plane`, `addon coredns` or `node batch 2/4 · prod-a-defaultpool-3`; undefined once every step is done. */
export function currentStepLabel(plan: UpgradeTaskPlan): string | undefined {
  const step = plan.currentStep === null ? undefined : plan.steps[plan.currentStep];
  if (!step) return undefined;
  if (step.kind === "addon") return `addon ${step.name}`;
  if (step.kind !== "node") return step.name;
  const batches = plan.steps.filter((s) => s.kind === "node").length;
  return `node batch ${step.batch}/${batches} · ${nodeNames(step)}`;
}

function nodeNames(step: PlanStep): string {
  const names = step.targets.map((target) => target.name);
  const shown = names.slice(0, LABELLED_NODES).join(", ");
  return names.length > LABELLED_NODES ? `${shown} +${names.length - LABELLED_NODES} more` : shown;
}

export async function showPlan({ client, output }: CommandContext, clusterId: string, taskId: string): Promise<number> {
  const plan = await client.showUpgradeTaskPlan({ cluster_id: clusterId, task_id: taskId });
  if (output === "json") printJson(plan);
  else printPlan(plan);
  return 0;
}

/** A summary line, then a row per target; a step's own columns fill only its first row. */
function printPlan(plan: UpgradeTaskPlan): void {
  const pause = plan.pauseRequested ? " (pause requested)" : "";
  const step = currentStepLabel(plan);
  process.stdout.write(`task ${plan.taskId} ${plan.phase} ${plan.progress}%${pause}${step ? ` | ${step}` : ""}\n`);
  const header = ["step", "kind", "name", "batch", "phase", "attempts", "target", "target phase", "error"];
  printTable(header, plan.steps.flatMap(stepRows));
  if (plan.failureReason) process.stdout.write(`failure reason: ${plan.failureReason}\n`);
}

function stepRows(step: PlanStep, index: number): string[][] {
  const own = [
    String(index + 1),
    step.kind,
    step.name,
    step.batch?.toString() ?? "",
    step.phase,
    String(step.attempts),
  ];
  const error = step.error ? `${step.error.code}: ${step.error.message}` : "";
  const blank = own.map(() => "");
  return step.targets.map((target, row) =>
    row === 0 ? [...own, target.name, target.phase, error] : [...blank, target.name, target.phase, ""],
  );
}
