/** `clusters list|get|create|delete` and `nodes`: the project's clusters, and what one of them runs. */
import { type Command, Option } from "commander";
import type { Cluster, ClusterNodes, CreateClusterRequest } from "../client/index.js";
import { CLUSTER_FLAVORS } from "../domain/cluster-lifecycle.js";
import { type CommandContext, resolveCluster } from "./commands.js";
import { followJob, startedJob } from "./job-commands.js";
import { type OutputFormat, printJson, printTable } from "./output.js";
import { clusterCommand, onCluster, withArguments, withClient, withExamples } from "./run-command.js";

type ClusterSpec = CreateClusterRequest["body"]["spec"];

interface CreateClusterOptions {
  readonly version?: string;
  readonly flavor: ClusterSpec["flavor"];
  readonly vpc: string;
  readonly subnet: string;
  readonly networkMode: ClusterSpec["containerNetwork"]["mode"];
  readonly description?: string;
  readonly wait?: boolean;
}

export function addClusterCommands(program: Command): void {
  const clusters = program.command("clusters").description("clusters of the project");
  clusters.command("list").description("list the project's clusters").action(withClient(listClusters));
  withExamples(
    clusterCommand(clusters, "get", "show a cluster: version, platform version, phase and node count"),
    "cce-upgrade clusters get --cluster prod-a",
    "cce-upgrade clusters get --cluster prod-a --output json   # the ShowCluster document",
  ).action(onCluster((context, clusterId) => showCluster(context, clusterId)));
  addCreateClusterCommand(clusters);
  withExamples(
    clusters
      .command("delete")
      .description("delete a cluster with its pools and nodes")
      .argument("<cluster>", "cluster ID or name")
      .option("--wait", "follow the DeleteCluster job until the cluster is gone; exit 1 if it fails"),
    "cce-upgrade clusters delete dev-1 --wait",
  ).action(
    withArguments<[string], { wait?: boolean }>((context, [cluster], options) =>
      deleteCluster(context, cluster, options.wait === true),
    ),
  );
  withExamples(
    clusterCommand(program, "nodes", "list a cluster's nodes with their pool, version and status"),
    "cce-upgrade nodes --cluster prod-a",
  ).action(onCluster((context, clusterId) => listNodes(context, clusterId)));
}

function addCreateClusterCommand(clusters: Command): void {
  const create = clusters
    .command("create")
    .description("create a cluster; it is Creating until its CreateCluster job ends")
    .argument("<name>", "4-128 lowercase letters, digits and hyphens, from a letter")
    .option("--version <version>", "Kubernetes version, e.g. v1.28 (its newest patch); default: the newest")
    .addOption(new Option("--flavor <flavor>", "control plane flavor").choices(CLUSTER_FLAVORS).makeOptionMandatory())
    .requiredOption("--vpc <id>", "VPC ID")
    .requiredOption("--subnet <id>", "subnet ID")
    .addOption(
      new Option("--network-mode <mode>", "container network (eni for a Turbo cluster's cce.t2 flavors)")
        .choices(["vpc-router", "overlay_l2", "eni"])
        .default("vpc-router"),
    )
    .option("--description <text>", "cluster description")
    .option("--wait", "follow the CreateCluster job until the cluster is Available; exit 1 if it fails");
  withExamples(
    create,
    "cce-upgrade clusters create dev-1 --version v1.28 --flavor cce.s2.small --vpc vpc-01 --subnet subnet-01 --wait",
  ).action(
    withArguments<[string], CreateClusterOptions>((context, [name], options) => createCluster(context, name, options)),
  );
}

async function listClusters({ client, output }: CommandContext): Promise<number> {
  const clusters = (await client.listClusters()).items;
  if (output === "json") printJson(clusters);
  else {
    const rows = clusters.map((c) => [c.metadata.uid, c.metadata.name, c.spec.version, c.status.phase]);
    printTable(["id", "name", "version", "phase"], rows);
  }
  return 0;
}

/** Without `--wait` prints the cluster `Creating`; with it, the cluster once its job has made it `Available`. */
async function createCluster(context: CommandContext, name: string, options: CreateClusterOptions): Promise<number> {
  const { client, output } = context;
  const created = await client.createCluster({ body: clusterBody(name, options) });
  if (options.wait !== true) {
    printCluster(output, created);
    return 0;
  }
  if (!(await followJob(context, startedJob(created.status.jobID, `cluster ${name}`)))) return 1;
  printCluster(output, await client.showCluster({ cluster_id: created.metadata.uid }));
  return 0;
}

function clusterBody(name: string, options: CreateClusterOptions): CreateClusterRequest["body"] {
  return {
    kind: "Cluster",
    apiVersion: "v3",
    metadata: { name },
    spec: {
      // ENI networking is what makes a cluster Turbo; the server refuses any other pairing.
      category: options.networkMode === "eni" ? "Turbo" : "CCE",
      flavor: options.flavor,
      ...(options.version !== undefined && { version: options.version }),
      ...(options.description !== undefined && { description: options.description }),
      hostNetwork: { vpc: options.vpc, subnet: options.subnet },
      containerNetwork: { mode: options.networkMode },
    },
  };
}

/** Without `--wait` prints the cluster `Deleting`; with it, JSON prints the finished job, as the cluster is gone. */
async function deleteCluster(context: CommandContext, idOrName: string, wait: boolean): Promise<number> {
  const { client, output } = context;
  const clusterId = await resolveCluster(client, idOrName);
  const deleting = await client.deleteCluster({ cluster_id: clusterId });
  if (!wait) {
    printCluster(output, deleting);
    return 0;
  }
  const job = await followJob(context, startedJob(deleting.status.jobID, `cluster ${clusterId}`));
  if (!job) return 1;
  if (output === "json") printJson(job);
  else process.stdout.write(`cluster ${deleting.metadata.name} (${clusterId}) deleted\n`);
  return 0;
}

/** The phases a lifecycle job holds a cluster in: only then is its job worth naming. */
const JOB_PHASES = new Set(["Creating", "Deleting"]);

/** The cluster, with the job that is creating or deleting it for `jobs get`. */
function printCluster(output: OutputFormat, cluster: Cluster): void {
  if (output === "json") {
    printJson(cluster);
    return;
  }
  const { metadata, spec, status } = cluster;
  // A settled cluster still names the last job that changed it.
  const job = JOB_PHASES.has(status.phase) ? (status.jobID ?? "") : "";
  const row = [metadata.uid, metadata.name, spec.version, status.phase, job];
  printTable(["id", "name", "version", "phase", "job"], [row]);
}

/** JSON is ShowCluster's answer as it is; the table adds the node count, which takes the nodes route. */
async function showCluster({ client, output }: CommandContext, clusterId: string): Promise<number> {
  const request = { cluster_id: clusterId };
  if (output === "json") {
    printJson(await client.showCluster(request));
    return 0;
  }
  const [cluster, nodes] = await Promise.all([client.showCluster(request), client.listClusterNodes(request)]);
  const { metadata, spec, status } = cluster;
  const row = [
    metadata.uid,
    metadata.name,
    spec.version,
    spec.platformVersion,
    status.phase,
    String(nodes.items.length),
  ];
  printTable(["id", "name", "version", "platform version", "phase", "nodes"], [row]);
  return 0;
}

async function listNodes({ client, output }: CommandContext, clusterId: string): Promise<number> {
  const nodes = await client.listClusterNodes({ cluster_id: clusterId });
  if (output === "json") {
    printJson(nodes);
    return 0;
  }
  const rows = nodes.items.map((node) => [node.name, node.id, poolName(nodes, node.pool), node.version, node.status]);
  printTable(["name", "uid", "pool", "version", "status"], rows);
  return 0;
}

/** Nodes name their pool by ID, which for most pools is a UUID; the user knows it by its name. */
function poolName(nodes: ClusterNodes, poolId: string): string {
  return nodes.pools.find((pool) => pool.id === poolId)?.name ?? poolId;
}
