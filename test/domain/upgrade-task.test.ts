import { describe, expect, it } from "vitest";
import {
  ACTIVE_TASK_PHASES,
  type ControlDecision,
  decideControl,
  formatProgress,
  UPGRADE_TASK_PHASES,
  type UpgradeControl,
  type UpgradeTaskPhase,
  upgradeInfoPhase,
} from "../../src/domain/upgrade-task.js";

type Expected = ControlDecision["kind"] | `set-phase ${UpgradeTaskPhase}`;

/** What each control does in each phase, without and with a pending pause request. */
const CONTROLS: Record<UpgradeControl, Record<UpgradeTaskPhase, [Expected, Expected]>> = {
  pause: {
    Init: ["set-phase Pause", "set-phase Pause"],
    Queuing: ["set-phase Pause", "set-phase Pause"],
    Running: ["request-pause", "request-pause"],
    Pause: ["refuse", "refuse"],
    Success: ["refuse", "refuse"],
    Failed: ["refuse", "refuse"],
  },
  continue: {
    Init: ["refuse", "refuse"],
    Queuing: ["refuse", "refuse"],
    Running: ["refuse", "withdraw-pause"],
    Pause: ["set-phase Queuing", "set-phase Queuing"],
    Success: ["refuse", "refuse"],
    Failed: ["refuse", "refuse"],
  },
  retry: {
    Init: ["refuse", "refuse"],
    Queuing: ["refuse", "refuse"],
    Running: ["refuse", "refuse"],
    Pause: ["refuse", "refuse"],
    Success: ["refuse", "refuse"],
    Failed: ["set-phase Queuing", "set-phase Queuing"],
  },
};

const cases = (["pause", "continue", "retry"] as const).flatMap((control) =>
  UPGRADE_TASK_PHASES.flatMap((phase) =>
    [false, true].map((pauseRequested) => ({
      control,
      phase,
      pauseRequested,
      expected: CONTROLS[control][phase][pauseRequested ? 1 : 0],
    })),
  ),
);

describe("decideControl: every phase, control and pause request", () => {
  it.each(cases)("$control on $phase (pause requested: $pauseRequested) → $expected", (c) => {
    const decision = decideControl(c.phase, c.pauseRequested, c.control);
    const [kind, phase] = c.expected.split(" ");
    if (kind === "set-phase") {
      expect(decision).toEqual({ kind, phase });
    } else if (kind === "refuse") {
      expect(decision).toMatchObject({ kind: "refuse" });
      // The reason is the 403's message: it says why, naming the phase.
      expect((decision as { reason: string }).reason).toContain(`the upgrade task is ${c.phase}; only a`);
    } else {
      expect(decision).toEqual({ kind });
    }
  });

  it("covers all 36 pairs", () => {
    expect(cases).toHaveLength(36);
  });

  it("says which phase each control needs", () => {
    expect(decideControl("Success", false, "pause")).toEqual({
      kind: "refuse",
      reason: "the upgrade task is Success; only a running or queued task can be paused",
    });
    expect(decideControl("Queuing", false, "continue")).toEqual({
      kind: "refuse",
      reason: "the upgrade task is Queuing; only a paused task can be continued",
    });
    expect(decideControl("Pause", false, "retry")).toEqual({
      kind: "refuse",
      reason: "the upgrade task is Pause; only a failed task can be retried",
    });
  });
});

describe("task phases", () => {
  it("holds the cluster in every phase but Success, Failed included", () => {
    expect(UPGRADE_TASK_PHASES.filter((phase) => !ACTIVE_TASK_PHASES.includes(phase))).toEqual(["Success"]);
    expect(ACTIVE_TASK_PHASES).toHaveLength(UPGRADE_TASK_PHASES.length - 1);
  });

  it.each([
    ["Init", "Init"],
    ["Queuing", "Running"],
    ["Running", "Running"],
    ["Pause", "Pause"],
    ["Success", "Success"],
    ["Failed", "Failed"],
  ] as const)("shows %s as %s in upgrade info", (phase, shown) => {
    expect(upgradeInfoPhase(phase)).toBe(shown);
  });
});

describe("formatProgress", () => {
  it.each([
    [0, "0.00"],
    [1, "0.01"],
    [99, "0.99"],
    [100, "1.00"],
    [1010, "10.10"],
    [9999, "99.99"],
    [10_000, "100.00"],
    [10_001, "100.00"],
    [-1, "0.00"],
    [4206.5, "42.07"],
    [4206.4, "42.06"],
  ])("shows %d hundredths as %s", (hundredths, shown) => {
    expect(formatProgress(hundredths)).toBe(shown);
  });
});
