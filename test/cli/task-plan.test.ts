import { describe, expect, it } from "vitest";
import { currentStepLabel } from "../../src/cli/task-plan.js";
import type { UpgradeTaskPlan } from "../../src/client/index.js";

type Step = UpgradeTaskPlan["steps"][number];

function step(kind: Step["kind"], name: string, targets: string[], batch?: number): Step {
  return {
    kind,
    name,
    ...(batch !== undefined && { batch }),
    weight: 10,
    targets: targets.map((target) => ({
      name: target,
      fromVersion: "v1.28",
      toVersion: "v1.29",
      phase: "Init",
      finishedAt: null,
    })),
    phase: "Init",
    attempts: 0,
    startedAt: null,
    finishedAt: null,
    error: null,
  };
}

function planAt(currentStep: number | null): UpgradeTaskPlan {
  const nodes = Array.from({ length: 6 }, (_, i) => `node-${i + 1}`);
  return {
    taskId: "task",
    phase: "Running",
    progress: "50.00",
    pauseRequested: false,
    failureReason: null,
    currentStep,
    steps: [
      step("master", "control-plane", ["control-plane"]),
      step("addon", "coredns", ["coredns"]),
      step("node", "nodes/batch-1", nodes.slice(0, 1), 1),
      step("node", "nodes/batch-2", nodes.slice(1), 2),
    ],
  };
}

describe("the step a watched upgrade names", () => {
  it("is the step's name, an add-on's with its kind, and a node batch's number among the batches with its nodes", () => {
    expect(currentStepLabel(planAt(0))).toBe("control-plane");
    expect(currentStepLabel(planAt(1))).toBe("addon coredns");
    expect(currentStepLabel(planAt(2))).toBe("node batch 1/2 · node-1");
  });

  it("counts the nodes of a long batch past the first three", () => {
    expect(currentStepLabel(planAt(3))).toBe("node batch 2/2 · node-2, node-3, node-4 +2 more");
  });

  it("is absent before the plan exists and after its last step", () => {
    expect(currentStepLabel(planAt(null))).toBeUndefined();
    expect(currentStepLabel(planAt(4))).toBeUndefined();
  });
});
