/** `driver get|set`: whether the simulator or an operator's driver profile runs a cluster's upgrade steps. */
import { type Command, Option } from "commander";
import type { ClusterDriver, UpdateClusterDriverRequest } from "../client/index.js";
import { type CommandContext, CommandError } from "./commands.js";
import { printJson, printTable } from "./output.js";
import { clusterCommand, onCluster, withExamples } from "./run-command.js";

interface SetDriverOptions {
  readonly cluster: string;
  readonly simulator?: boolean;
  readonly driverProfile?: string;
}

export function addDriverCommands(program: Command): void {
  const driver = program.command("driver").description("what runs a cluster's upgrade steps");
  clusterCommand(driver, "get", "show the cluster's driver: the simulator, or a profile and its transports").action(
    onCluster((context, clusterId) => showDriver(context, clusterId)),
  );
  const set = clusterCommand(driver, "set", "choose the cluster's driver; refused while it upgrades")
    .addOption(new Option("--simulator", "run steps in the simulator").conflicts("driverProfile"))
    // Not `--profile`: the program takes that flag anywhere on the line as its settings file.
    .option("--driver-profile <name>", "run steps through a driver profile the operator gave the project");
  withExamples(
    set,
    "cce-upgrade driver set --cluster prod-a --driver-profile staging-hooks",
    "cce-upgrade driver set --cluster prod-a --simulator",
  ).action(onCluster<SetDriverOptions>((context, clusterId, options) => setDriver(context, clusterId, options)));
}

async function showDriver(context: CommandContext, clusterId: string): Promise<number> {
  printDriver(context, await context.client.showClusterDriver({ cluster_id: clusterId }));
  return 0;
}

async function setDriver(context: CommandContext, clusterId: string, options: SetDriverOptions): Promise<number> {
  const body = driverChoice(options);
  printDriver(context, await context.client.updateClusterDriver({ cluster_id: clusterId, body }));
  return 0;
}

function driverChoice(options: SetDriverOptions): UpdateClusterDriverRequest["body"] {
  if (options.driverProfile !== undefined) return { type: "profile", profile: options.driverProfile };
  if (options.simulator) return { type: "simulator" };
  throw new CommandError("driver set needs --simulator or --driver-profile <name> (--profile names a settings file)");
}

function printDriver({ output }: CommandContext, driver: ClusterDriver): void {
  if (output === "json") {
    printJson(driver);
    return;
  }
  const transports = Object.entries(driver.transports ?? {}).map(([steps, kind]) => `${steps}=${kind}`);
  const available = driver.available === undefined ? "" : driver.available ? "yes" : "no";
  printTable(
    ["type", "profile", "available", "transports"],
    [[driver.type, driver.profile ?? "", available, transports.join(", ")]],
  );
}
