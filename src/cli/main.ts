/** `cce-upgrade`: run the service, or drive upgrades of a running one from the command line. */
import { Command, Option } from "commander";
import { CceUpgradeClientError, CceUpgradeConnectionError } from "../client/index.js";
import type { UpgradeControl } from "../domain/upgrade-task.js";
import { addClusterCommands } from "./cluster-commands.js";
import {
  CommandError,
  controlUpgrade,
  listTasks,
  showTask,
  startPrecheck,
  startUpgrade,
  watchUpgrade,
} from "./commands.js";
import { addDriverCommands } from "./driver-commands.js";
import { addFaultCommands } from "./fault-commands.js";
import { addJobCommands } from "./job-commands.js";
import { addNodePoolCommands } from "./node-pool-commands.js";
import { clusterCommand, onCluster, positiveInteger, withExamples } from "./run-command.js";
import { SettingsError } from "./settings.js";
import { showPlan } from "./task-plan.js";

/** Exit code of every error: a refused request, bad settings, an unreachable endpoint. */
const ERROR_EXIT_CODE = 2;

function buildProgram(): Command {
  const program = new Command("cce-upgrade")
    .description("Run the cce-upgrade service or drive cluster upgrades through its CCE API.")
    .option("--endpoint <url>", "service address (CCE_ENDPOINT, default http://127.0.0.1:8080)")
    .option("--project <id>", "project ID (CCE_PROJECT_ID)")
    .option("--token <token>", "X-Auth-Token (CCE_TOKEN)")
    .option("--ak <ak>", "access key, signs requests with --sk (CCE_AK)")
    .option("--sk <sk>", "secret key (CCE_SK)")
    .option("--profile <path>", "profile JSON file (default ~/.cce-upgrade/profile.json)")
    .addOption(new Option("--output <format>", "output format").choices(["table", "json"]).default("table"));

  program
    .command("serve")
    .description("run the service (configured by the environment, as `npm start`)")
    .action(async () => {
      await import("../main.js");
    });
  addClusterCommands(program);
  addNodePoolCommands(program);
  addJobCommands(program);
  addUpgradeCommands(program);
  addTaskCommands(program);
  addControlCommands(program);
  addPrecheckCommand(program);
  addFaultCommands(program);
  addDriverCommands(program);
  program.addHelpText("after", () => `\nAll commands:\n${everyCommand(program)}`);
  return program;
}

function addUpgradeCommands(program: Command): void {
  const upgrade = program.command("upgrade").description("upgrade tasks");
  const start = clusterCommand(upgrade, "start", "start an upgrade")
    .requiredOption("--to <version>", "target version, e.g. v1.29 (its newest patch) or v1.29.15-r50")
    .option("--batch <n>", "largest node batch (userDefinedStep)", positiveInteger("--batch"))
    .option("--only-upgrade", "skip the pre-check requirement (isOnlyUpgrade)")
    .option("--watch", "follow the task, naming its step and node batch; exit 1 if it fails");
  withExamples(start, "cce-upgrade upgrade start --cluster prod-a --to v1.29 --batch 2 --watch").action(
    onCluster<{ cluster: string; to: string; batch?: number; onlyUpgrade?: boolean; watch?: boolean }>(
      (context, clusterId, options) =>
        startUpgrade(
          context,
          clusterId,
          { targetVersion: options.to, batch: options.batch, onlyUpgrade: options.onlyUpgrade === true },
          options.watch === true,
        ),
    ),
  );
}

function addTaskCommands(program: Command): void {
  const tasks = program.command("tasks").description("upgrade tasks of a cluster");
  clusterCommand(tasks, "list", "list the cluster's upgrade tasks, newest first").action(
    onCluster((context, clusterId) => listTasks(context, clusterId)),
  );
  const descriptions = {
    get: "show an upgrade task",
    watch: "follow an upgrade task to its end; exit 1 if it fails",
    plan: "show an upgrade task's steps, batches and nodes, each with its phase",
  } as const;
  for (const [name, handler] of [
    ["get", showTask],
    ["watch", watchUpgrade],
    ["plan", showPlan],
  ] as const) {
    clusterCommand(tasks, name, descriptions[name])
      .requiredOption("--task <id>", "upgrade task ID")
      .action(
        onCluster<{ cluster: string; task: string }>((context, clusterId, options) =>
          handler(context, clusterId, options.task),
        ),
      );
  }
}

function addControlCommands(program: Command): void {
  const descriptions: Record<UpgradeControl, string> = {
    pause: "pause the cluster's upgrade after its current step",
    continue: "resume a paused upgrade",
    retry: "re-run a failed upgrade from the failed step",
  };
  for (const [control, description] of Object.entries(descriptions) as [UpgradeControl, string][]) {
    clusterCommand(program, control, description).action(
      onCluster((context, clusterId) => controlUpgrade(context, clusterId, control)),
    );
  }
}

function addPrecheckCommand(program: Command): void {
  const precheck = clusterCommand(program, "precheck", "run a pre-upgrade check")
    .requiredOption("--to <version>", "target version")
    .option("--watch", "wait for the result and list its items; exit 1 unless it is Success");
  withExamples(precheck, "cce-upgrade precheck --cluster prod-a --to v1.29 --watch").action(
    onCluster<{ cluster: string; to: string; watch?: boolean }>((context, clusterId, options) =>
      startPrecheck(context, clusterId, options.to, options.watch === true),
    ),
  );
}

/** Each runnable command by its full name: the top-level list shows only groups such as `faults`. */
function everyCommand(program: Command): string {
  const leaves = (command: Command, prefix: string): [string, string][] =>
    command.commands.flatMap((sub) => {
      const name = `${prefix}${sub.name()}`;
      return sub.commands.length === 0 ? [[name, sub.description()]] : leaves(sub, `${name} `);
    });
  const commands = leaves(program, "");
  const width = Math.max(...commands.map(([name]) => name.length));
  return commands.map(([name, description]) => `  ${name.padEnd(width)}  ${description}`).join("\n");
}

/** One line for the user: CCE's code and message for a refused request, the message for anything else. */
function describeError(error: unknown): string {
  if (error instanceof CceUpgradeClientError) {
    return `${error.errorCode ?? `HTTP ${error.httpStatusCode}`}: ${error.errorMsg}`;
  }
  if (error instanceof SettingsError || error instanceof CommandError || error instanceof CceUpgradeConnectionError) {
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`cce-upgrade: ${describeError(error)}\n`);
    process.exitCode = ERROR_EXIT_CODE;
  });
