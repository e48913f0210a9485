/** A finished pre-check's items as one table: cluster, add-on and node items alike, each node's under its name. */
import type { PrecheckTask } from "../client/index.js";
import { printTable } from "./output.js";

type CheckItem = PrecheckTask["status"]["clusterCheckStatus"]["itemsStatus"][number];

export function printPrecheckItems(check: PrecheckTask): void {
  const { clusterCheckStatus, addonCheckStatus, nodeCheckStatus } = check.status;
  const rows = [
    ...[...clusterCheckStatus.itemsStatus, ...addonCheckStatus.itemsStatus].map((item) => itemRow(item, "")),
    ...nodeCheckStatus.nodeStageStatus.flatMap((stage) =>
      stage.itemsStatus.map((item) => itemRow(item, stage.nodeInfo.name)),
    ),
  ];
  printTable(["group", "item", "node", "level", "phase", "message"], rows);
}

function itemRow(item: CheckItem, node: string): string[] {
  return [item.group, item.name, node, item.level, item.phase, item.message];
}
