/** `clusters list|get` and `nodes`: the project's clusters, and what one of them runs. */
import type { Command } from "commander";
import type { ClusterNodes } from "../client/index.js";
import type { CommandContext } from "./commands.js";
import { printJson, printTable } from "./output.js";
import { clusterCommand, onCluster, withClient, withExamples } from "./run-command.js";

export function addClusterCommands(program: Command): void {
  const clusters = program.command("clusters").description("clusters of the project");
  clusters.command("list").description("list the project's clusters").action(withClient(listClusters));
  withExamples(
    clusterCommand(clusters, "get", "show a cluster: version, platform version, phase and node count"),
    "cce-upgrade clusters get --cluster prod-a",
    "cce-upgrade clusters get --cluster prod-a --output json   # the ShowCluster document",
  ).action(onCluster((context, clusterId) => showCluster(context, clusterId)));
  withExamples(
    clusterCommand(program, "nodes", "list a cluster's nodes with their pool, version and status"),
    "cce-upgrade nodes --cluster prod-a",
  ).action(onCluster((context, clusterId) => listNodes(context, clusterId)));
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
