import { Type } from "typebox";
import { POINT_STATUSES, TASK_TYPES, WORKFLOW_PHASES } from "../../domain/upgrade-workflow.js";
import { StringEnum, TaskMetadata } from "./common.js";

export const WorkflowParams = Type.Object({
  project_id: Type.String({ maxLength: 64 }),
  cluster_id: Type.String({ maxLength: 64 }),
  upgrade_workflow_id: Type.String({ maxLength: 64, description: "Workflow ID, its `metadata.uid`." }),
});

export const CreateUpgradeWorkFlowRequestBody = Type.Object({
  kind: Type.Literal("WorkFlowTask"),
  apiVersion: Type.Literal("v3"),
  spec: Type.Object({
    clusterID: Type.Optional(Type.String({ maxLength: 64, description: "Ignored: the path names the cluster." })),
    clusterVersion: Type.Optional(
      Type.String({ maxLength: 64, description: "The cluster's version as the client knows it; empty: any." }),
    ),
    targetVersion: Type.String({ minLength: 1, maxLength: 64, description: "`v1.29` means its newest patch." }),
  }),
});

const Point = Type.Object({ taskType: StringEnum(TASK_TYPES) });

export const UpgradeWorkFlow = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  metadata: TaskMetadata,
  spec: Type.Object({ clusterID: Type.String(), clusterVersion: Type.String(), targetVersion: Type.String() }),
  status: Type.Object({
    phase: StringEnum(WORKFLOW_PHASES),
    pointStatuses: Type.Array(
      Type.Object({
        taskType: StringEnum(TASK_TYPES),
        taskID: Type.Optional(Type.String()),
        status: StringEnum(POINT_STATUSES),
        startTimeStamp: Type.Optional(Type.String()),
        endTimeStamp: Type.Optional(Type.String()),
        expireTimeStamp: Type.Optional(Type.String()),
      }),
    ),
    lineStatuses: Type.Array(Type.Object({ startPoint: Point, endPoint: Point, critical: Type.Boolean() })),
  }),
});

export const UpgradeWorkFlowList = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  items: Type.Array(UpgradeWorkFlow),
});

export const UpgradeWorkFlowUpdateRequestBody = Type.Object({
  status: Type.Object({ phase: StringEnum(["Cancel"], { description: "Only Cancel is supported." }) }),
});
