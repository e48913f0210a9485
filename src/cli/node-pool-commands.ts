/** `nodepools list|create|scale|delete`: a cluster's node pools, each change followed to its end with `--wait`. */
import type { Command } from "commander";
import type { CceUpgradeClient, CreateNodePoolRequest, NodePool } from "../client/index.js";
import { type CommandContext, CommandError, resolveCluster } from "./commands.js";
import { followJob, startedJob } from "./job-commands.js";
import { type OutputFormat, printJson, printTable } from "./output.js";
import { nonNegativeInteger, withArguments, withExamples } from "./run-command.js";

interface CreatePoolOptions {
  readonly nodes: number;
  readonly flavor: string;
  readonly az: string;
  readonly sshKey: string;
  readonly os?: string;
  readonly wait?: boolean;
}

interface WaitOption {
  readonly wait?: boolean;
}

/** The smallest volumes CCE takes: a node pool needs a root and a data volume. */
const ROOT_VOLUME = { size: 40, volumetype: "SAS" } as const;
const DATA_VOLUME = { size: 100, volumetype: "SAS" } as const;

export function addNodePoolCommands(program: Command): void {
  const pools = program.command("nodepools").description("node pools of a cluster");
  withExamples(
    pools
      .command("list")
      .description("list a cluster's node pools, DefaultPool included, with their node counts")
      .argument("<cluster>", "cluster ID or name"),
    "cce-upgrade nodepools list prod-a",
  ).action(withArguments<[string]>((context, [cluster]) => listPools(context, cluster)));
  addCreatePoolCommand(pools);
  withExamples(
    pools
      .command("scale")
      .description("scale a node pool to a number of nodes")
      .argument("<cluster>", "cluster ID or name")
      .argument("<pool>", "node pool ID or name")
      .argument("<nodes>", "node count, 0 or more", nonNegativeInteger("<nodes>"))
      .option("--wait", "follow the UpdateNodePool job until the nodes are there or gone; exit 1 if it fails"),
    "cce-upgrade nodepools scale dev-1 workers 5 --wait",
  ).action(
    withArguments<[string, string, number], WaitOption>((context, [cluster, pool, nodes], options) =>
      scalePool(context, { cluster, pool }, nodes, options.wait === true),
    ),
  );
  withExamples(
    pools
      .command("delete")
      .description("delete a node pool and its nodes")
      .argument("<cluster>", "cluster ID or name")
      .argument("<pool>", "node pool ID or name")
      .option("--wait", "follow the DeleteNodePool job until the pool is gone; exit 1 if it fails"),
    "cce-upgrade nodepools delete dev-1 workers --wait",
  ).action(
    withArguments<[string, string], WaitOption>((context, [cluster, pool], options) =>
      deletePool(context, { cluster, pool }, options.wait === true),
    ),
  );
}

function addCreatePoolCommand(pools: Command): void {
  const create = pools
    .command("create")
    .description("create a node pool; its nodes are Installing until its CreateNodePool job ends")
    .argument("<cluster>", "cluster ID or name")
    .argument("<name>", "1-50 lowercase letters, digits and hyphens, from a letter")
    .requiredOption("--nodes <n>", "node count, 0 or more", nonNegativeInteger("--nodes"))
    .requiredOption("--flavor <flavor>", "ECS flavor of the nodes, e.g. c7.large.2")
    .requiredOption("--az <zone>", "availability zone, e.g. cn-north-4a, or random")
    .requiredOption("--ssh-key <name>", "key pair to log in to the nodes with")
    .option("--os <name>", "operating system, e.g. EulerOS 2.9")
    .option("--wait", "follow the CreateNodePool job until the nodes are Active; exit 1 if it fails");
  withExamples(
    create,
    "cce-upgrade nodepools create dev-1 workers --nodes 3 --flavor c7.large.2 --az cn-north-4a --ssh-key my-key --wait",
  ).action(
    withArguments<[string, string], CreatePoolOptions>((context, [cluster, name], options) =>
      createPool(context, cluster, name, options),
    ),
  );
}

/** A cluster and one of its pools, each by ID or name, as the user typed them. */
interface PoolReference {
  readonly cluster: string;
  readonly pool: string;
}

async function listPools({ client, output }: CommandContext, idOrName: string): Promise<number> {
  const clusterId = await resolveCluster(client, idOrName);
  printPools(output, await poolsOf(client, clusterId));
  return 0;
}

async function createPool(
  context: CommandContext,
  idOrName: string,
  name: string,
  options: CreatePoolOptions,
): Promise<number> {
  const clusterId = await resolveCluster(context.client, idOrName);
  const pool = await context.client.createNodePool({ cluster_id: clusterId, body: poolBody(name, options) });
  return options.wait === true ? waitForPool(context, clusterId, pool) : printPool(context.output, pool);
}

function poolBody(name: string, options: CreatePoolOptions): CreateNodePoolRequest["body"] {
  return {
    kind: "NodePool",
    apiVersion: "v3",
    metadata: { name },
    spec: {
      initialNodeCount: options.nodes,
      nodeTemplate: {
        flavor: options.flavor,
        az: options.az,
        ...(options.os !== undefined && { os: options.os }),
        login: { sshKey: options.sshKey },
        rootVolume: ROOT_VOLUME,
        dataVolumes: [DATA_VOLUME],
      },
    },
  };
}

async function scalePool(context: CommandContext, where: PoolReference, nodes: number, wait: boolean): Promise<number> {
  const { client, output } = context;
  const { clusterId, pool } = await resolvePool(client, where);
  const scaled = await client.updateNodePool({
    cluster_id: clusterId,
    nodepool_id: pool.metadata.uid,
    // The name is required and kept as it is: only the count changes.
    body: { metadata: { name: pool.metadata.name }, spec: { initialNodeCount: nodes } },
  });
  // A pool scaled to the count it has starts no job: it stays settled.
  const changing = scaled.status.phase !== "";
  return wait && changing ? waitForPool(context, clusterId, scaled) : printPool(output, scaled);
}

/** Without `--wait` prints the pool `Deleting`; with it, JSON prints the finished job, as the pool is gone. */
async function deletePool(context: CommandContext, where: PoolReference, wait: boolean): Promise<number> {
  const { client, output } = context;
  const { clusterId, pool } = await resolvePool(client, where);
  const deleting = await client.deleteNodePool({ cluster_id: clusterId, nodepool_id: pool.metadata.uid });
  if (!wait) return printPool(output, deleting);
  const job = await followJob(context, startedJob(deleting.status.jobId, `node pool ${pool.metadata.name}`));
  if (!job) return 1;
  if (output === "json") printJson(job);
  else
    process.stdout.write(`node pool ${pool.metadata.name} (${pool.metadata.uid}) deleted from cluster ${clusterId}\n`);
  return 0;
}

/** Follows the pool's job, then prints the pool as the job left it. */
async function waitForPool(context: CommandContext, clusterId: string, pool: NodePool): Promise<number> {
  if (!(await followJob(context, startedJob(pool.status.jobId, `node pool ${pool.metadata.name}`)))) return 1;
  const settled = await context.client.showNodePool({ cluster_id: clusterId, nodepool_id: pool.metadata.uid });
  return printPool(context.output, settled);
}

/** Every pool of the cluster: CCE lists `DefaultPool` only when asked, and its nodes are the cluster's too. */
async function poolsOf(client: CceUpgradeClient, clusterId: string): Promise<NodePool[]> {
  return (await client.listNodePools({ cluster_id: clusterId, showDefaultNodePool: "true" })).items;
}

/** Accepts a pool's ID or its name; either costs one list call. */
async function resolvePool(client: CceUpgradeClient, where: PoolReference) {
  const clusterId = await resolveCluster(client, where.cluster);
  const pools = await poolsOf(client, clusterId);
  const pool = pools.find((p) => p.metadata.uid === where.pool) ?? pools.find((p) => p.metadata.name === where.pool);
  if (!pool) throw new CommandError(`no node pool ${JSON.stringify(where.pool)} in cluster ${clusterId}`);
  return { clusterId, pool };
}

/** Prints one pool (JSON: its document) and gives exit code 0, so that a handler can end with it. */
function printPool(output: OutputFormat, pool: NodePool): number {
  if (output === "json") printJson(pool);
  else printPools(output, [pool]);
  return 0;
}

function printPools(output: OutputFormat, pools: readonly NodePool[]): void {
  if (output === "json") {
    printJson(pools);
    return;
  }
  const rows = pools.map((pool) => {
    const { flavor = "", az = "" } = pool.spec.nodeTemplate as { flavor?: string; az?: string };
    const { currentNode, phase, jobId } = pool.status;
    // A settled pool still names the last job that changed it; only a running one is worth showing.
    return [
      pool.metadata.uid,
      pool.metadata.name,
      String(currentNode),
      flavor,
      az,
      phase || "(settled)",
      phase ? (jobId ?? "") : "",
    ];
  });
  printTable(["id", "name", "nodes", "flavor", "az", "phase", "job"], rows);
}
