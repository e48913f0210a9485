/** Wiring a command to a handler: the client built from the settings, `--cluster` resolved, the exit code set. */
import type { Command } from "commander";
import { CceUpgradeClient } from "../client/index.js";
import { type CommandContext, CommandError, resolveCluster } from "./commands.js";
import type { OutputFormat } from "./output.js";
import { environmentLayer, profileLayer, resolveSettings } from "./settings.js";

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
export function withClient<O extends object>(handler: Handler<O>) {
  return async (_options: O, command: Command): Promise<void> => {
    const options = command.optsWithGlobals<O & GlobalOptions>();
    process.exitCode = await handler(await contextOf(options), options);
  };
}

/** As {@link withClient}, for a command with positional arguments: the handler gets them parsed, in order. */
export function withArguments<A extends unknown[], O extends object = object>(
  handler: (context: CommandContext, args: A, options: O) => Promise<number>,
) {
  // Commander passes the arguments, then the options, then the command itself.
  return async (...received: unknown[]): Promise<void> => {
    const command = received.at(-1) as Command;
    const options = command.optsWithGlobals<O & GlobalOptions>();
    process.exitCode = await handler(await contextOf(options), command.processedArgs as A, options);
  };
}

async function contextOf(options: GlobalOptions): Promise<CommandContext> {
  const flags = { endpoint: options.endpoint, projectId: options.project, ...credentialFlags(options) };
  const settings = resolveSettings([flags, environmentLayer(process.env), await profileLayer(options.profile)]);
  return { client: new CceUpgradeClient(settings), output: options.output };
}

function credentialFlags(options: GlobalOptions) {
  return { token: options.token, ak: options.ak, sk: options.sk };
}

/** Resolves `--cluster` (an ID or a name) before the handler runs. */
export function onCluster<O extends { cluster: string }>(
  handler: (context: CommandContext, clusterId: string, options: O) => Promise<number>,
) {
  return withClient<O>(async (context, options) =>
    handler(context, await resolveCluster(context.client, options.cluster), options),
  );
}

/** A subcommand of `parent` that acts on one cluster, named by `--cluster`. */
export function clusterCommand(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).requiredOption("--cluster <id|name>", "cluster ID or name");
}

/** Appends examples to a command's `--help`. */
export function withExamples(command: Command, ...examples: string[]): Command {
  return command.addHelpText("after", `\nExamples:\n${examples.map((example) => `  $ ${example}`).join("\n")}\n`);
}

/** A parser for an option that takes a whole number from 1 up. */
export function positiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1)
      throw new CommandError(`${flag} must be a positive integer, not ${value}`);
    return number;
  };
}

/** A parser for an option or argument that takes a whole number from 0 up, e.g. a node count. */
export function nonNegativeInteger(name: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === "" || !Number.isInteger(number) || number < 0) {
      throw new CommandError(`${name} must be a whole number of 0 or more, not ${value}`);
    }
    return number;
  };
}

/** A parser for an option that takes a number of 0 or more, e.g. seconds. */
export function nonNegativeNumber(flag: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number) || number < 0) {
      throw new CommandError(`${flag} must be a number of 0 or more, not ${value}`);
    }
    return number;
  };
}
