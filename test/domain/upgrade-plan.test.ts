import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type PlanningInput,
  type PlanStep,
  planProgress,
  planUpgrade,
  rampChunks,
  resetFailedStep,
  selectorMatches,
  type UpgradePlan,
} from "../../src/domain/upgrade-plan.js";
import {
  type NodePriority,
  type NormalizedUpgradeAction,
  normalizeUpgradeAction,
} from "../../src/domain/upgrade-request.js";

const FROM = "v1.28.15-r30";
const TO = "v1.29.15-r50";

type Scope = "Cluster" | "NodePool";
type Pool = { id: string; nodes: number; labels?: (n: number) => Record<string, string> };

function action(overrides: Partial<NormalizedUpgradeAction> = {}, step = 20, scope: Scope = "Cluster") {
  return {
    targetVersion: TO,
    strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: step, scope } },
    ...overrides,
  } as NormalizedUpgradeAction;
}

/** A cluster whose pools hold nodes `<pool>-<n>` (n from 1) with IDs `id-<pool>-<n>`. */
function input(pools: Pool[], act: NormalizedUpgradeAction = action()): PlanningInput {
  return {
    clusterVersion: FROM,
    targetVersion: TO,
    pools: pools.map((p) => ({ id: p.id })),
    nodes: pools.flatMap((p) =>
      Array.from({ length: p.nodes }, (_, i) => ({
        id: `id-${p.id}-${i + 1}`,
        name: `${p.id}-${i + 1}`,
        poolId: p.id,
        version: FROM,
        labels: p.labels?.(i + 1) ?? {},
      })),
    ),
    addons: [
      { name: "coredns", version: "1.28.4" },
      { name: "autoscaler", version: "1.28.22" },
    ],
    action: act,
  };
}

const nodeSteps = (plan: UpgradePlan) => plan.steps.filter((s) => s.kind === "node");
const batchNames = (plan: UpgradePlan) => nodeSteps(plan).map((s) => s.targets.map((t) => t.name));

describe("planUpgrade: the steps", () => {
  it("runs the pre-check, the etcd backup, the control plane, each requested add-on in request order, then nodes", () => {
    const plan = planUpgrade(
      input(
        [{ id: "a", nodes: 1 }],
        action({
          addons: [
            { addonTemplateName: "autoscaler", operation: "patch", version: "1.29.1" },
            { addonTemplateName: "coredns", operation: "patch", version: "1.29.4" },
          ],
        }),
      ),
    );
    expect(plan.steps.map((s) => [s.kind, s.name])).toEqual([
      ["precheck", "precheck"],
      ["backup", "etcd-backup"],
      ["master", "control-plane"],
      ["addon", "autoscaler"],
      ["addon", "coredns"],
      ["node", "nodes/batch-1"],
    ]);
    const single = (index: number) => plan.steps[index]?.targets;
    expect(single(0)).toEqual([
      { name: "precheck", fromVersion: FROM, toVersion: TO, phase: "Init", finishedAt: null },
    ]);
    expect(single(1)).toEqual([
      { name: "etcd-backup", fromVersion: FROM, toVersion: TO, phase: "Init", finishedAt: null },
    ]);
    expect(single(2)).toEqual([
      { name: "control-plane", fromVersion: FROM, toVersion: TO, phase: "Init", finishedAt: null },
    ]);
    expect(single(3)).toEqual([
      { name: "autoscaler", fromVersion: "1.28.22", toVersion: "1.29.1", phase: "Init", finishedAt: null },
    ]);
    expect(single(4)).toEqual([
      { name: "coredns", fromVersion: "1.28.4", toVersion: "1.29.4", phase: "Init", finishedAt: null },
    ]);
  });

  it("leaves out the embedded pre-check with isOnlyUpgrade, and add-ons the request does not name", () => {
    const plan = planUpgrade(input([{ id: "a", nodes: 1 }], action({ isOnlyUpgrade: true })));
    expect(plan.steps.map((s) => s.name)).toEqual(["etcd-backup", "control-plane", "nodes/batch-1"]);
    expect(planUpgrade(input([], action({ isOnlyUpgrade: false }))).steps[0]?.name).toBe("precheck");
  });

  it("starts an add-on the cluster does not have from an empty version", () => {
    const plan = planUpgrade(
      input([], action({ addons: [{ addonTemplateName: "gpu", operation: "patch", version: "2.0.0" }] })),
    );
    expect(plan.steps.at(-1)?.targets).toEqual([
      { name: "gpu", fromVersion: "", toVersion: "2.0.0", phase: "Init", finishedAt: null },
    ]);
  });

  it("creates every step unstarted, and only node steps carry a batch number", () => {
    const plan = planUpgrade(
      input(
        [{ id: "a", nodes: 3 }],
        action({ addons: [{ addonTemplateName: "coredns", operation: "patch", version: "1.29.4" }] }),
      ),
    );
    for (const step of plan.steps) {
      expect(step).toMatchObject({ phase: "Init", attempts: 0, startedAt: null, finishedAt: null, error: null });
      expect(step).not.toHaveProperty("runFromAttempt");
      if (step.kind === "node") expect(step.batch).toBe(Number(step.name.replace("nodes/batch-", "")));
      else expect(step).not.toHaveProperty("batch");
    }
    expect(nodeSteps(plan).map((s) => s.batch)).toEqual([1, 2]);
  });

  it("weighs a node 10, the control plane 20 and every other step 5: a batch weighs 10 per node", () => {
    const plan = planUpgrade(
      input(
        [{ id: "a", nodes: 7 }],
        action({ addons: [{ addonTemplateName: "coredns", operation: "patch", version: "1.29.4" }] }, 4),
      ),
    );
    expect(plan.steps.map((s) => s.weight)).toEqual([5, 5, 20, 5, 10, 20, 40]);
  });

  it("gives each node target its ID, pool and own version, to the target version", () => {
    const base = input([{ id: "a", nodes: 2 }]);
    const skewed = { ...base, nodes: base.nodes.map((n, i) => (i === 1 ? { ...n, version: "v1.28.15-r40" } : n)) };
    expect(nodeSteps(planUpgrade(skewed)).flatMap((s) => s.targets)).toEqual([
      { name: "a-1", id: "id-a-1", pool: "a", fromVersion: FROM, toVersion: TO, phase: "Init", finishedAt: null },
      {
        name: "a-2",
        id: "id-a-2",
        pool: "a",
        fromVersion: "v1.28.15-r40",
        toVersion: TO,
        phase: "Init",
        finishedAt: null,
      },
    ]);
  });

  it("has no node steps for a cluster without nodes (an empty pool included)", () => {
    expect(nodeSteps(planUpgrade(input([{ id: "empty", nodes: 0 }])))).toEqual([]);
  });
});

describe("planUpgrade: node batches", () => {
  it("ramps 1, 2, 4 … up to userDefinedStep across the whole cluster with scope Cluster", () => {
    const plan = planUpgrade(
      input(
        [
          { id: "a", nodes: 6 },
          { id: "b", nodes: 7 },
        ],
        action({}, 4, "Cluster"),
      ),
    );
    expect(batchNames(plan)).toEqual([
      ["a-1"],
      ["a-2", "a-3"],
      ["a-4", "a-5", "a-6", "b-1"],
      ["b-2", "b-3", "b-4", "b-5"],
      ["b-6", "b-7"],
    ]);
    expect(nodeSteps(plan).map((s) => s.name)).toEqual([1, 2, 3, 4, 5].map((n) => `nodes/batch-${n}`));
  });

  it("restarts the ramp in every pool with scope NodePool, numbering batches on across pools", () => {
    const plan = planUpgrade(
      input(
        [
          { id: "a", nodes: 6 },
          { id: "b", nodes: 7 },
        ],
        action({}, 4, "NodePool"),
      ),
    );
    expect(batchNames(plan)).toEqual([
      ["a-1"],
      ["a-2", "a-3"],
      ["a-4", "a-5", "a-6"],
      ["b-1"],
      ["b-2", "b-3"],
      ["b-4", "b-5", "b-6", "b-7"],
    ]);
    expect(nodeSteps(plan).map((s) => [s.name, s.batch])).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => [`nodes/batch-${n}`, n]),
    );
  });

  it("takes the pool with the fewest nodes first and, within a pool, the least-loaded node first (CCE's order)", () => {
    const planning = input([
      { id: "big", nodes: 3 },
      { id: "small", nodes: 1 },
      { id: "mid", nodes: 2 },
    ]);
    const loads: Record<string, number> = { "big-1": 5, "big-2": 0, "big-3": 2, "mid-1": 1, "mid-2": 1 };
    const loaded = { ...planning, nodes: planning.nodes.map((node) => ({ ...node, load: loads[node.name] ?? 0 })) };
    const order = nodeSteps(planUpgrade({ ...loaded, action: action({}, 1) })).flatMap((s) =>
      s.targets.map((t) => t.name),
    );
    expect(order).toEqual(["small-1", "mid-1", "mid-2", "big-2", "big-3", "big-1"]);
  });

  it("never exceeds a cap that is not a power of two, and upgrades one node at a time with cap 1", () => {
    const nine = [{ id: "a", nodes: 9 }];
    expect(batchNames(planUpgrade(input(nine, action({}, 3)))).map((b) => b.length)).toEqual([1, 2, 3, 3]);
    expect(batchNames(planUpgrade(input(nine, action({}, 1)))).map((b) => b.length)).toEqual(Array(9).fill(1));
  });

  it("caps batches at 20 when userDefinedStep is absent or 0 (the request's default)", () => {
    const request = (rolling?: { userDefinedStep?: number }) =>
      normalizeUpgradeAction(
        {
          targetVersion: "v1.29",
          strategy: { type: "inPlaceRollingUpdate", ...(rolling && { inPlaceRollingUpdate: rolling }) },
        },
        TO,
      );
    for (const normalized of [request(), request({}), request({ userDefinedStep: 0 })]) {
      const sizes = batchNames(planUpgrade(input([{ id: "a", nodes: 60 }], normalized))).map((b) => b.length);
      expect(sizes).toEqual([1, 2, 4, 8, 16, 20, 9]);
    }
  });

  it("takes pools by nodePoolOrder, higher first; unnamed pools count 0 and keep the cluster's order", () => {
    const pools = ["p1", "p2", "p3", "p4"].map((id) => ({ id, nodes: 1 }));
    const order = (nodePoolOrder: Record<string, number>) =>
      batchNames(planUpgrade(input(pools, action({ nodePoolOrder }, 1)))).flat();
    expect(order({})).toEqual(["p1-1", "p2-1", "p3-1", "p4-1"]);
    expect(order({ p3: 5, p2: 9 })).toEqual(["p2-1", "p3-1", "p1-1", "p4-1"]);
    expect(order({ p1: -1 })).toEqual(["p2-1", "p3-1", "p4-1", "p1-1"]);
    expect(order({ p4: 2, p2: 2 })).toEqual(["p2-1", "p4-1", "p1-1", "p3-1"]);
  });

  it("orders pools the same way with scope NodePool, each pool's ramp in that order", () => {
    const plan = planUpgrade(
      input(
        [
          { id: "a", nodes: 2 },
          { id: "b", nodes: 3 },
        ],
        action({ nodePoolOrder: { b: 1 } }, 20, "NodePool"),
      ),
    );
    expect(batchNames(plan)).toEqual([["b-1"], ["b-2", "b-3"], ["a-1"], ["a-2"]]);
  });

  it("takes a pool's nodes by the highest-priority nodeOrder selector they match, unmatched last, ties by name", () => {
    const zones = ["z1", "z2", "z1", "z3", "z2", "z9"];
    const pools = [{ id: "a", nodes: 6, labels: (n: number) => ({ zone: zones[n - 1] as string, index: String(n) }) }];
    const rules: NodePriority[] = [
      { nodeSelector: { key: "zone", value: ["z1"], operator: "in" }, priority: 1 },
      { nodeSelector: { key: "zone", value: ["z2", "z3"], operator: "in" }, priority: 5 },
      { nodeSelector: { key: "index", value: ["3"], operator: "in" }, priority: 7 },
      { nodeSelector: { key: "zone", value: ["z9"], operator: "in" }, priority: 0 },
    ];
    const plan = planUpgrade(input(pools, action({ nodeOrder: { a: rules } }, 1)));
    // a-3 matches z1 (1) and index 3 (7): its highest match wins; z9 at priority 0 still beats no match.
    expect(batchNames(plan).flat()).toEqual(["a-3", "a-2", "a-4", "a-5", "a-1", "a-6"]);
    const unmatched = planUpgrade(input(pools, action({ nodeOrder: { a: [rules[3] as NodePriority] } }, 1)));
    expect(batchNames(unmatched).flat()).toEqual(["a-6", "a-1", "a-2", "a-3", "a-4", "a-5"]);
  });

  it("applies a pool's nodeOrder to that pool only", () => {
    const labelled = (n: number) => ({ first: n === 2 ? "yes" : "no" });
    const pools = [
      { id: "a", nodes: 2, labels: labelled },
      { id: "b", nodes: 2, labels: labelled },
    ];
    const rule = { nodeSelector: { key: "first", value: ["yes"], operator: "in" }, priority: 1 };
    const plan = planUpgrade(input(pools, action({ nodeOrder: { b: [rule] } }, 1)));
    expect(batchNames(plan).flat()).toEqual(["a-1", "a-2", "b-2", "b-1"]);
  });
});

describe("selectorMatches", () => {
  const labels = { zone: "z1", cpu: "8", empty: "" };
  it.each([
    ["in", "zone", ["z1", "z2"], true],
    ["in", "zone", ["z2"], false],
    ["in", "missing", ["z1"], false],
    ["in", "zone", undefined, false],
    ["notin", "zone", ["z2"], true],
    ["notin", "zone", ["z1"], false],
    ["notin", "missing", ["z1"], true],
    ["exists", "zone", undefined, true],
    ["exists", "empty", undefined, true],
    ["exists", "missing", undefined, false],
    ["!", "missing", undefined, true],
    ["!", "empty", undefined, false],
    ["gt", "cpu", ["4"], true],
    ["gt", "cpu", ["8"], false],
    ["gt", "cpu", ["16"], false],
    ["gt", "missing", ["1"], false],
    ["gt", "cpu", [], false],
    ["gt", "zone", ["1"], false],
    ["lt", "cpu", ["16"], true],
    ["lt", "cpu", ["8"], false],
    ["lt", "cpu", ["4"], false],
    ["lt", "missing", ["100"], false],
    ["=", "zone", ["z1"], false],
    ["In", "zone", ["z1"], false],
  ] as const)("%s on %s %j → %s", (operator, key, value, expected) => {
    const selector = { key, operator, ...(value && { value }) };
    expect(selectorMatches(selector, labels)).toBe(expected);
  });

  it("compares gt and lt as numbers, not as text", () => {
    expect(selectorMatches({ key: "cpu", operator: "gt", value: ["10"] }, { cpu: "9" })).toBe(false);
    expect(selectorMatches({ key: "cpu", operator: "lt", value: ["10"] }, { cpu: "9" })).toBe(true);
  });
});

describe("rampChunks", () => {
  it("cuts 1, 2, 4 … and then the cap, the last chunk holding what is left", () => {
    const items = Array.from({ length: 12 }, (_, i) => i);
    expect(rampChunks(items, 4)).toEqual([[0], [1, 2], [3, 4, 5, 6], [7, 8, 9, 10], [11]]);
    expect(rampChunks(items, 20)).toEqual([[0], [1, 2], [3, 4, 5, 6], [7, 8, 9, 10, 11]]);
    expect(rampChunks([], 4)).toEqual([]);
  });

  it("covers every item once, in order, with sizes min(2^i, cap), the last no larger", () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 300 }), fc.integer({ min: 1, max: 130 }), (items, cap) => {
        const chunks = rampChunks(items, cap);
        expect(chunks.flat()).toEqual(items);
        chunks.forEach((chunk, i) => {
          const full = Math.min(2 ** i, cap);
          if (i < chunks.length - 1) expect(chunk.length).toBe(full);
          else expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(full);
        });
      }),
      { numRuns: 200 },
    );
  });
});

/** Any cluster: up to 5 pools of up to 12 nodes labelled from a small alphabet, any pool priorities and selectors. */
const clusterArbitrary = fc
  .record({
    pools: fc.uniqueArray(fc.constantFrom("p1", "p2", "p3", "p4", "p5"), { maxLength: 5 }),
    sizes: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 5, maxLength: 5 }),
    zones: fc.array(fc.constantFrom("z1", "z2", "z3"), { minLength: 60, maxLength: 60 }),
    priorities: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 5, maxLength: 5 }),
    rules: fc.array(
      fc.record({
        nodeSelector: fc.record({
          key: fc.constant("zone"),
          value: fc.subarray(["z1", "z2", "z3"]),
          operator: fc.constantFrom("in", "notin", "exists", "!"),
        }),
        priority: fc.integer({ min: 0, max: 4 }),
      }),
      { maxLength: 3 },
    ),
    step: fc.integer({ min: 1, max: 9 }),
    scope: fc.constantFrom<Scope>("Cluster", "NodePool"),
  })
  .map(({ pools, sizes, zones, priorities, rules, step, scope }) => {
    const nodePoolOrder = Object.fromEntries(pools.map((id, i) => [id, priorities[i] as number]));
    const nodeOrder = Object.fromEntries(pools.map((id) => [id, rules]));
    const spec = pools.map((id, i) => ({
      id,
      nodes: sizes[i] as number,
      labels: (n: number) => ({ zone: zones[i * 12 + n - 1] as string }),
    }));
    return { planning: input(spec, action({ nodePoolOrder, nodeOrder }, step, scope)), step, scope, nodePoolOrder };
  });

/** Checks that `sizes` is the ramp 1, 2, 4 … capped at `cap`, the last batch no larger than its turn allows. */
function expectRamp(sizes: number[], cap: number) {
  sizes.forEach((size, i) => {
    const full = Math.min(2 ** i, cap);
    expect(size).toBeGreaterThan(0);
    if (i < sizes.length - 1) expect(size).toBe(full);
    else expect(size).toBeLessThanOrEqual(full);
  });
}

describe("planUpgrade on any cluster", () => {
  it("puts every node in exactly one batch", () => {
    fc.assert(
      fc.property(clusterArbitrary, ({ planning }) => {
        const ids = nodeSteps(planUpgrade(planning)).flatMap((s) => s.targets.map((t) => t.id));
        expect([...ids].sort()).toEqual(planning.nodes.map((n) => n.id).sort());
      }),
      { numRuns: 100 },
    );
  });

  it("ramps batch sizes 1, 2, 4 … up to the cap: once per cluster, or once per pool with scope NodePool", () => {
    fc.assert(
      fc.property(clusterArbitrary, ({ planning, step, scope }) => {
        const batches = nodeSteps(planUpgrade(planning));
        if (scope === "Cluster") {
          expectRamp(
            batches.map((b) => b.targets.length),
            step,
          );
          return;
        }
        const pools = [...new Set(batches.map((b) => b.targets[0]?.pool))];
        for (const pool of pools) {
          const own = batches.filter((b) => b.targets[0]?.pool === pool);
          for (const batch of own) expect(new Set(batch.targets.map((t) => t.pool))).toEqual(new Set([pool]));
          expectRamp(
            own.map((b) => b.targets.length),
            step,
          );
        }
      }),
      { numRuns: 100 },
    );
  });

  it("upgrades pools one after another in nodePoolOrder, higher first, then the smaller pool, then the cluster's order", () => {
    fc.assert(
      fc.property(clusterArbitrary, ({ planning, nodePoolOrder }) => {
        const seen = nodeSteps(planUpgrade(planning)).flatMap((s) => s.targets.map((t) => t.pool as string));
        const runs = seen.filter((pool, i) => pool !== seen[i - 1]);
        expect(new Set(runs).size).toBe(runs.length);
        const index = (pool: string) => planning.pools.findIndex((p) => p.id === pool);
        for (let i = 1; i < runs.length; i++) {
          const [before, after] = [runs[i - 1] as string, runs[i] as string];
          const order = (nodePoolOrder[before] ?? 0) - (nodePoolOrder[after] ?? 0);
          const size = (pool: string) => planning.nodes.filter((node) => node.poolId === pool).length;
          const bySize = size(before) - size(after);
          expect(order > 0 || (order === 0 && (bySize < 0 || (bySize === 0 && index(before) < index(after))))).toBe(
            true,
          );
        }
      }),
      { numRuns: 100 },
    );
  });

  it("never lets progress fall while steps succeed, in any order, and reaches 100.00 when all have", () => {
    fc.assert(
      fc.property(clusterArbitrary, fc.infiniteStream(fc.nat()), ({ planning }, picks) => {
        const plan = planUpgrade(planning);
        const pending = plan.steps.map((_, i) => i);
        const iterator = picks[Symbol.iterator]();
        let last = planProgress(plan);
        expect(last).toBe(0);
        while (pending.length > 0) {
          const [index] = pending.splice((iterator.next().value as number) % pending.length, 1);
          const step = plan.steps[index as number] as PlanStep;
          step.phase = "Running";
          expect(planProgress(plan)).toBe(last);
          step.phase = "Success";
          const now = planProgress(plan);
          expect(now).toBeGreaterThan(last);
          last = now;
        }
        expect(last).toBe(10_000);
      }),
      { numRuns: 100 },
    );
  });
});

function plannedSteps(phases: PlanStep["phase"][]): UpgradePlan {
  const plan = planUpgrade(input([{ id: "a", nodes: 3 }], action({}, 1)));
  plan.steps.forEach((step, i) => {
    step.phase = phases[i] ?? "Init";
  });
  return plan;
}

describe("planProgress", () => {
  it("is the done weight over the total in hundredths of a percent, rounded down", () => {
    // Weights 5, 5, 20, 10, 10, 10: 60 in all.
    expect(planProgress(plannedSteps([]))).toBe(0);
    expect(planProgress(plannedSteps(["Success"]))).toBe(833);
    expect(planProgress(plannedSteps(["Success", "Success", "Success", "Success"]))).toBe(6666);
    expect(planProgress(plannedSteps(Array(6).fill("Success")))).toBe(10_000);
  });

  it("counts only succeeded steps: running and failed ones add nothing", () => {
    expect(planProgress(plannedSteps(["Success", "Running"]))).toBe(833);
    expect(planProgress(plannedSteps(["Success", "Success", "Failed"]))).toBe(1666);
  });

  it("is 100.00 for a plan without steps", () => {
    expect(planProgress({ steps: [] })).toBe(10_000);
  });
});

describe("resetFailedStep", () => {
  function failedAt(cursor: number): UpgradePlan {
    const plan = plannedSteps(["Success", "Success", "Success", "Success", "Failed"]);
    const step = plan.steps[cursor] as PlanStep;
    Object.assign(step, {
      attempts: 3,
      startedAt: 100,
      finishedAt: 200,
      error: { code: "PodEvictionFailure", message: "x", retryable: false },
    });
    return plan;
  }

  it("readies the failed step to run again as a new run, keeping its start time", () => {
    const plan = failedAt(4);
    const step = plan.steps[4] as PlanStep;
    step.targets[0] = { ...(step.targets[0] as PlanStep["targets"][number]), phase: "Failed" };
    const reset = resetFailedStep(plan, 4);
    expect(reset.steps[4]).toEqual({
      ...step,
      phase: "Init",
      finishedAt: null,
      error: null,
      runFromAttempt: 4,
      targets: [{ ...step.targets[0], phase: "Init" }],
    });
    expect(reset.steps.slice(0, 4)).toEqual(plan.steps.slice(0, 4));
    expect(reset.steps[5]).toEqual(plan.steps[5]);
    expect(planProgress(reset)).toBe(planProgress(plan));
  });

  it("keeps a failed batch's done targets done, so they are not upgraded again", () => {
    const plan = planUpgrade(input([{ id: "a", nodes: 3 }], action({}, 2)));
    const batch = plan.steps.at(-1) as PlanStep;
    batch.phase = "Failed";
    batch.attempts = 1;
    batch.targets[0] = { ...(batch.targets[0] as PlanStep["targets"][number]), phase: "Success", finishedAt: 7 };
    batch.targets[1] = { ...(batch.targets[1] as PlanStep["targets"][number]), phase: "Failed" };
    const reset = resetFailedStep(plan, plan.steps.length - 1).steps.at(-1) as PlanStep;
    expect(reset.targets.map((t) => [t.phase, t.finishedAt])).toEqual([
      ["Success", 7],
      ["Init", null],
    ]);
    expect(reset.runFromAttempt).toBe(2);
  });

  it("changes nothing when the step at the cursor did not fail", () => {
    const plan = failedAt(4);
    expect(resetFailedStep(plan, 3)).toEqual(plan);
    expect(resetFailedStep(plan, 5)).toEqual(plan);
  });

  it("leaves the plan it was given as it was", () => {
    const plan = failedAt(4);
    const before = structuredClone(plan);
    resetFailedStep(plan, 4);
    expect(plan).toEqual(before);
  });
});
