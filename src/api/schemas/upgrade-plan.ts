import { Type } from "typebox";
import { STEP_KINDS, STEP_PHASES } from "../../domain/upgrade-plan.js";
import { UPGRADE_TASK_PHASES } from "../../domain/upgrade-task.js";
import { StringEnum } from "./common.js";

// Properties are listed in the order the plan stores them, so the serializer writes the keys as before.
const Time = Type.Union([Type.String({ description: "Go time.Time.String() layout." }), Type.Null()]);

const PlanTarget = Type.Object({
  name: Type.String(),
  id: Type.Optional(Type.String({ description: "Node ID, for node targets." })),
  pool: Type.Optional(Type.String()),
  fromVersion: Type.String(),
  toVersion: Type.String(),
  phase: StringEnum(STEP_PHASES),
  finishedAt: Time,
});

const StepFailure = Type.Object({ code: Type.String(), message: Type.String(), retryable: Type.Boolean() });

const PlanStep = Type.Object({
  kind: StringEnum(STEP_KINDS),
  name: Type.String(),
  batch: Type.Optional(Type.Integer({ description: "Node batches: 1, 2, 3, …" })),
  weight: Type.Number({ description: "The step's share of the task's progress." }),
  targets: Type.Array(PlanTarget),
  phase: StringEnum(STEP_PHASES),
  attempts: Type.Integer(),
  startedAt: Time,
  finishedAt: Time,
  error: Type.Union([StepFailure, Type.Null()]),
  runFromAttempt: Type.Optional(Type.Integer({ description: "The attempt a user's retry started the step again at." })),
});

/** ShowUpgradeTaskPlan: an upgrade task's steps, batches and nodes, each with its phase and times. */
export const UpgradeTaskPlan = Type.Object({
  taskId: Type.String(),
  phase: StringEnum(UPGRADE_TASK_PHASES),
  progress: Type.String(),
  pauseRequested: Type.Boolean(),
  failureReason: Type.Union([Type.String(), Type.Null()]),
  currentStep: Type.Union([Type.Integer({ description: "Index into `steps`." }), Type.Null()]),
  steps: Type.Array(PlanStep),
});
