/** `faults list|add|remove`: the simulator's injected faults, which make the next matching step attempts fail or stall. */
import { type Command, Option } from "commander";
import type { CreateFaultRequest, Fault } from "../client/index.js";
import { STEP_KINDS } from "../domain/upgrade-plan.js";
import type { CommandContext } from "./commands.js";
import { printJson, printTable } from "./output.js";
import { clusterCommand, nonNegativeNumber, onCluster, positiveInteger, withExamples } from "./run-command.js";

type FaultRule = CreateFaultRequest["body"];

interface AddFaultOptions {
  readonly cluster: string;
  readonly step: FaultRule["step"];
  readonly target?: string;
  readonly times: number;
  readonly error: string;
  readonly message?: string;
  readonly mode: FaultRule["mode"];
  readonly stallSeconds?: number;
  readonly retryable?: boolean;
}

export function addFaultCommands(program: Command): void {
  const faults = program.command("faults").description("simulator faults waiting for a cluster's next upgrade steps");
  clusterCommand(faults, "list", "list the cluster's faults and the attempts each will still fail").action(
    onCluster((context, clusterId) => listFaults(context, clusterId)),
  );
  addFaultAddCommand(faults);
  withExamples(
    clusterCommand(faults, "remove", "remove a fault; a step it is stalling goes on").requiredOption(
      "--fault <id>",
      "fault ID (see faults list)",
    ),
    "cce-upgrade faults remove --cluster prod-a --fault 5b0c…",
  ).action(
    onCluster<{ cluster: string; fault: string }>((context, clusterId, options) =>
      removeFault(context, clusterId, options.fault),
    ),
  );
}

function addFaultAddCommand(faults: Command): void {
  const command = clusterCommand(faults, "add", "make the next attempts of a step fail (or stall)")
    .addOption(new Option("--step <kind>", "kind of step it hits").choices(STEP_KINDS).makeOptionMandatory())
    .option("--target <name>", "node or add-on name, or pre-check item (default: the first step of the kind)")
    .option("--times <n>", "attempts that fail before one succeeds", positiveInteger("--times"), 1)
    .requiredOption("--error <code>", "error code the task shows, e.g. PodEvictionFailure")
    .option("--message <text>", "error message the task shows")
    .addOption(new Option("--mode <mode>", "fail the attempt, or hold it").choices(["fail", "stall"]).default("fail"))
    .option(
      "--stall-seconds <s>",
      "how long a stall lasts (default: the server's)",
      nonNegativeNumber("--stall-seconds"),
    )
    .option("--retryable", "let the engine retry the step by itself");
  withExamples(
    command,
    "cce-upgrade faults add --cluster prod-a --step node --target prod-a-gpu-1 --error PodEvictionFailure",
    "cce-upgrade faults add --cluster prod-a --step precheck --target DeprecatedAPIs --error DeprecatedAPIInUse",
    "cce-upgrade faults add --cluster prod-a --step master --mode stall --stall-seconds 30 --error Slow",
  ).action(onCluster<AddFaultOptions>((context, clusterId, options) => addFault(context, clusterId, options)));
}

async function listFaults({ client, output }: CommandContext, clusterId: string): Promise<number> {
  const faults = (await client.listFaults({ cluster_id: clusterId })).items;
  if (output === "json") printJson(faults);
  else printFaultTable(faults);
  return 0;
}

async function addFault(
  { client, output }: CommandContext,
  clusterId: string,
  options: AddFaultOptions,
): Promise<number> {
  const { step, target, times, error, message, mode, stallSeconds, retryable } = options;
  const body: FaultRule = { step, target, times, error, message, mode, stallSeconds, retryable };
  const fault = await client.createFault({ cluster_id: clusterId, body });
  if (output === "json") printJson(fault);
  else printFaultTable([fault]);
  return 0;
}

async function removeFault({ client, output }: CommandContext, clusterId: string, faultId: string): Promise<number> {
  await client.deleteFault({ cluster_id: clusterId, fault_id: faultId });
  if (output === "json") printJson({ clusterId, faultId, removed: true });
  else process.stdout.write(`fault ${faultId} removed from cluster ${clusterId}\n`);
  return 0;
}

function printFaultTable(faults: readonly Fault[]): void {
  const rows = faults.map((fault) => [
    fault.id,
    fault.step,
    fault.target ?? "(first)",
    fault.mode === "stall" ? `stall ${fault.stallSeconds}s` : fault.mode,
    String(fault.remaining),
    fault.error,
    fault.retryable ? "yes" : "no",
    fault.message,
  ]);
  printTable(["id", "step", "target", "mode", "remaining", "error", "retryable", "message"], rows);
}
