/** `cce-upgrade`: run the service, or drive upgrades of a running one from the command line. */
import { Command, Option } from "commander";
import { CceUpgradeClient, CceUpgradeClientError, CceUpgradeConnectionError } from "../client/index.js";
import type { UpgradeControl } from "../domain/upgrade-task.js";
import {
  type CommandContext,
  CommandError,
  controlUpgrade,
  listClusters,
  listTasks,
  resolveCluster,
  showTask,
  startPrecheck,
  startUpgrade,
  watchUpgrade,
} from "./commands.js";
import type { OutputFormat } from "./output.js";
import { environmentLayer, profileLayer, resolveSettings, SettingsError } from "./settings.js";

/** Exit code of every error: a refused request, bad settings, an unreachable endpoint. */
const ERROR_EXIT_CODE = 2;

interface GlobalOptions {
  endpoint?: string;
  project?: string;
  token?: string;
  ak?: string;
  sk?: string;
  profile?: string;
  output: OutputFormat;
}

type Handler<O> = (context: CommandContext, options: O) => Promise<number>;

/** Builds the client from flags, environment and profile, runs the handler and sets the exit code. */
function withClient<O extends object>(handler: Handler<O>) {
  return async (_options: O, command: Command): Promise<void> => {
    const options = command.optsWithGlobals<O & GlobalOptions>();
    const flags = { endpoint: options.endpoint, projectId: options.project, ...credentialFlags(options) };
    const settings = resolveSettings([flags, environmentLayer(process.env), await profileLayer(options.profile)]);
    process.exitCode = await handler({ client: new CceUpgradeClient(settings), output: options.output }, options);
  };
}

function credentialFlags(options: GlobalOptions) {
  return { token: options.token, ak: options.ak, sk: options.sk };
}

/** Resolves `--cluster` (an ID or a name) before the handler runs. */
function onCluster<O extends { cluster: string }>(
  handler: (context: CommandContext, clusterId: string, options: O) => Promise<number>,
) {
  return withClient<O>(async (context, options) =>
    handler(context, await resolveCluster(context.client, options.cluster), options),
  );
}

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
  program.command("clusters").description("clusters of the project").command("list").action(withClient(listClusters));
  addUpgradeCommands(program);
  addTaskCommands(program);
  addControlCommands(program);
  program
    .command("precheck")
    .description("run a pre-upgrade check")
    .requiredOption("--cluster <id>", "cluster ID or name")
    .requiredOption("--to <version>", "target version")
    .option("--watch", "wait for the result; exit 1 unless it is Success")
    .action(
      onCluster<{ cluster: string; to: string; watch?: boolean }>((context, clusterId, options) =>
        startPrecheck(context, clusterId, options.to, options.watch === true),
      ),
    );
  return program;
}

function addUpgradeCommands(program: Command): void {
  program
    .command("upgrade")
    .description("upgrade tasks")
    .command("start")
    .description("start an upgrade")
    .requiredOption("--cluster <id>", "cluster ID or name")
    .requiredOption("--to <version>", "target version, e.g. v1.29 (its newest patch) or v1.29.15-r50")
    .option("--batch <n>", "largest node batch (userDefinedStep)", parseBatch)
    .option("--only-upgrade", "skip the pre-check requirement (isOnlyUpgrade)")
    .option("--watch", "follow the task; exit 1 if it fails")
    .action(
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
  tasks
    .command("list")
    .requiredOption("--cluster <id>", "cluster ID or name")
    .action(onCluster((context, clusterId) => listTasks(context, clusterId)));
  for (const [name, handler] of [
    ["get", showTask],
    ["watch", watchUpgrade],
  ] as const) {
    tasks
      .command(name)
      .requiredOption("--cluster <id>", "cluster ID or name")
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
    program
      .command(control)
      .description(description)
      .requiredOption("--cluster <id>", "cluster ID or name")
      .action(onCluster((context, clusterId) => controlUpgrade(context, clusterId, control)));
  }
}

function parseBatch(value: string): number {
  const batch = Number(value);
  if (!Number.isInteger(batch) || batch < 1) throw new CommandError(`--batch must be a positive integer, not ${value}`);
  return batch;
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
