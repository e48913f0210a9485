/** What each CLI command does; each returns the process exit code (0 done, 1 the watched task did not succeed). */
import type { CceUpgradeClient, PrecheckTask, UpgradeClusterRequest, UpgradeTask } from "../client/index.js";
import type { UpgradeControl } from "../domain/upgrade-task.js";
import { type OutputFormat, printJson, printTable } from "./output.js";
import { printPrecheckItems } from "./precheck-report.js";
import { planView } from "./task-plan.js";
import { watchTask } from "./watch.js";

export interface CommandContext {
  readonly client: CceUpgradeClient;
  readonly output: OutputFormat;
}

const UPGRADE_FINAL_PHASES = new Set(["Success", "Failed"]);
const PRECHECK_FINAL_PHASES = new Set(["Success", "Failed", "Error"]);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A mistake the user can fix (an unknown cluster name): reported without a stack trace. */
export class CommandError extends Error {}

/** What `upgrade start` asks for. */
export interface UpgradeRequest {
  readonly targetVersion: string;
  /** Largest node batch (`userDefinedStep`). */
  readonly batch?: number;
  readonly onlyUpgrade?: boolean;
}

/** Accepts a cluster's ID or its name; a name costs one list call. */
export async function resolveCluster(client: CceUpgradeClient, idOrName: string): Promise<string> {
  if (UUID_RE.test(idOrName)) return idOrName;
  const match = (await client.listClusters()).items.find((cluster) => cluster.metadata.name === idOrName);
  if (!match) throw new CommandError(`no cluster named ${JSON.stringify(idOrName)} in this project`);
  return match.metadata.uid;
}

export async function startUpgrade(
  context: CommandContext,
  clusterId: string,
  request: UpgradeRequest,
  watch: boolean,
): Promise<number> {
  const started = await context.client.upgradeCluster({ cluster_id: clusterId, body: upgradeBody(request) });
  const taskId = started.metadata.uid;
  if (watch) return watchUpgrade(context, clusterId, taskId);
  if (context.output === "json") printJson({ taskId });
  else process.stdout.write(`upgrade task ${taskId} started on cluster ${clusterId}\n`);
  return 0;
}

export async function listTasks({ client, output }: CommandContext, clusterId: string): Promise<number> {
  const tasks = (await client.listUpgradeClusterTasks({ cluster_id: clusterId })).items;
  if (output === "json") printJson(tasks);
  else printTaskTable(tasks);
  return 0;
}

export async function showTask(context: CommandContext, clusterId: string, taskId: string): Promise<number> {
  printTask(context.output, await context.client.showUpgradeClusterTask({ cluster_id: clusterId, task_id: taskId }));
  return 0;
}

/** Follows an upgrade task to its end: exit 0 on `Success`, 1 on `Failed` with the reason on stderr. */
export async function watchUpgrade(context: CommandContext, clusterId: string, taskId: string): Promise<number> {
  const request = { cluster_id: clusterId, task_id: taskId };
  // Polling the plan rather than the task: it has the phase and progress too, and names the step being run.
  await watchTask(
    () => context.client.showUpgradeTaskPlan(request),
    planView,
    (plan) => UPGRADE_FINAL_PHASES.has(plan.phase),
  );
  const task = await context.client.showUpgradeClusterTask(request);
  printTask(context.output, task);
  if (task.status.phase === "Success") return 0;
  const reason = failureReason(task) ?? "no reason given";
  process.stderr.write(`upgrade task ${taskId} ${task.status.phase}: ${reason}\n`);
  return 1;
}

export async function controlUpgrade(
  { client, output }: CommandContext,
  clusterId: string,
  control: UpgradeControl,
): Promise<number> {
  await CONTROL_CALLS[control](client, clusterId);
  if (output === "json") printJson({ clusterId, control, accepted: true });
  else process.stdout.write(`${control} accepted for cluster ${clusterId}\n`);
  return 0;
}

export async function startPrecheck(
  context: CommandContext,
  clusterId: string,
  targetVersion: string,
  watch: boolean,
): Promise<number> {
  const { client, output } = context;
  const body = { apiVersion: "v3", kind: "PreCheckTask", spec: { targetVersion } } as const;
  const taskId = (await client.createPreCheck({ cluster_id: clusterId, body })).metadata.uid;
  const read = () => client.showPreCheck({ cluster_id: clusterId, task_id: taskId });
  if (!watch) {
    printPrecheck(output, await read());
    return 0;
  }
  const check = await watchTask(
    read,
    (c) => ({ phase: c.status.phase }),
    (c) => PRECHECK_FINAL_PHASES.has(c.status.phase),
  );
  printPrecheck(output, check);
  // Only a finished check has items worth reading; JSON has them already.
  if (output === "table") {
    process.stdout.write("\n");
    printPrecheckItems(check);
  }
  if (check.status.phase === "Success") return 0;
  process.stderr.write(`pre-check ${taskId} ${check.status.phase}: ${check.status.message ?? "no reason given"}\n`);
  return 1;
}

function printTask(output: OutputFormat, task: UpgradeTask): void {
  if (output === "json") {
    printJson(task);
    return;
  }
  printTaskTable([task]);
  const reason = failureReason(task);
  if (reason) process.stdout.write(`failure reason: ${reason}\n`);
}

function printTaskTable(tasks: readonly UpgradeTask[]): void {
  const rows = tasks.map((t) => [
    t.metadata.uid,
    t.status.phase,
    `${t.status.progress}%`,
    t.spec.version,
    t.spec.targetVersion,
    t.metadata.creationTimestamp,
  ]);
  printTable(["task", "phase", "progress", "from", "to", "created"], rows);
}

function printPrecheck(output: OutputFormat, check: PrecheckTask): void {
  if (output === "json") {
    printJson(check);
    return;
  }
  const row = [check.metadata.uid, check.status.phase, check.spec.targetVersion ?? "", check.status.message ?? ""];
  printTable(["pre-check", "phase", "target", "message"], [row]);
}

const CONTROL_CALLS: Record<UpgradeControl, (client: CceUpgradeClient, clusterId: string) => Promise<unknown>> = {
  pause: (client, clusterId) => client.pauseUpgradeClusterTask({ cluster_id: clusterId }),
  continue: (client, clusterId) => client.continueUpgradeClusterTask({ cluster_id: clusterId }),
  retry: (client, clusterId) => client.retryUpgradeClusterTask({ cluster_id: clusterId }),
};

function upgradeBody(request: UpgradeRequest): UpgradeClusterRequest["body"] {
  const rolling = request.batch === undefined ? {} : { inPlaceRollingUpdate: { userDefinedStep: request.batch } };
  return {
    metadata: { apiVersion: "v3", kind: "UpgradeTask" },
    spec: {
      clusterUpgradeAction: {
        targetVersion: request.targetVersion,
        strategy: { type: "inPlaceRollingUpdate", ...rolling },
        ...(request.onlyUpgrade && { isOnlyUpgrade: true }),
      },
    },
  };
}

/** `spec.items` is free-form on the wire; the server puts a failed task's reason in it. */
function failureReason(task: UpgradeTask): string | undefined {
  const { failureReason: reason } = (task.spec.items ?? {}) as { failureReason?: unknown };
  return typeof reason === "string" ? reason : undefined;
}
