import { Type } from "typebox";
import type { ProjectRowCounts } from "../../store/project-rows.js";

const COUNTED: readonly (keyof ProjectRowCounts)[] = [
  "clusters",
  "nodePools",
  "nodes",
  "addons",
  "deprecatedApis",
  "driverChoices",
  "faults",
  "upgradeTasks",
  "prechecks",
  "snapshots",
  "postchecks",
  "workflows",
  "clusterJobs",
  "simulatorTargets",
  "simulatorApplyLog",
  "simulatorFences",
];

const rowCounts = (description: string) =>
  Type.Object(Object.fromEntries(COUNTED.map((name) => [name, Type.Integer({ minimum: 0 })])), {
    additionalProperties: false,
    description,
  });

/** What a reset or a restore did: rows deleted and rows the project has now, by kind. */
export const ProjectStateChange = Type.Object({
  projectId: Type.String(),
  removed: rowCounts("Rows of the project deleted, by kind."),
  restored: rowCounts("Rows the project has now, by kind."),
});
