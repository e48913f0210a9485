import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { ProjectState } from "../../src/domain/project-state.js";
import type { ClusterCheckDriver, TargetOutcome } from "../../src/engine/ports.js";
import { pollUntil, startCheckRunner } from "../support/check-runner.js";
import { DIALECTS } from "../support/databases.js";
import {
  CLUSTER,
  OLD_CLUSTER,
  OTHER_CLUSTER,
  OTHER_PROJECT,
  OTHER_TOKEN,
  PROJECT,
  TOKEN,
  testSeed,
  upgradeBody,
} from "../support/fixtures.js";
import { testSystem } from "../support/system.js";
import { expectCceError } from "../support/wire.js";

type System = Awaited<ReturnType<typeof testSystem>>;

const EXT = `/ext/v1/projects/${PROJECT}`;
const SEEDED = "v1.28.15-r30";
const TARGET = "v1.29.15-r50";
const faultsOf = (cluster: string) => `${EXT}/clusters/${cluster}/faults`;
const clusterPath = (cluster: string) => `/api/v3/projects/${PROJECT}/clusters/${cluster}`;
/** A node of CLUSTER's second batch: the first batch and the control plane are done when it stalls. */
const SECOND_BATCH_NODE = "prod-a-defaultpool-3";

describe.each(DIALECTS)("project reset and state, on %s", (dialect) => {
  let system: System;
  afterEach(async () => system?.close());

  const state = async (): Promise<ProjectState> => {
    const { status, body } = await system.call("GET", `${EXT}/state`);
    expect(status).toBe(200);
    return body;
  };
  const otherState = async () => {
    const response = await system.app.inject({
      url: `/ext/v1/projects/${OTHER_PROJECT}/state`,
      headers: { "x-auth-token": OTHER_TOKEN },
    });
    expect(response.statusCode).toBe(200);
    return response.json() as ProjectState;
  };
  const put = (document: unknown) =>
    system.app.inject({
      method: "PUT",
      url: `${EXT}/state`,
      headers: { "x-auth-token": TOKEN },
      payload: document as object,
    });
  const reset = async () => {
    const { status, body } = await system.call("POST", `${EXT}/reset`);
    expect(status).toBe(200);
    return body;
  };
  /** Starts an upgrade of CLUSTER that stalls in its second node batch, and waits until it does. */
  const stalledUpgrade = async () => {
    const fault = {
      step: "node",
      target: SECOND_BATCH_NODE,
      times: 1,
      error: "Stuck",
      mode: "stall",
      stallSeconds: 600,
    };
    expect((await system.call("POST", faultsOf(CLUSTER), fault)).status).toBe(201);
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await pollUntil(
      async () => (await system.call("GET", faultsOf(CLUSTER))).body.items[0].remaining,
      (remaining) => remaining === 0,
    );
    return taskId;
  };
  const clusterOf = (document: ProjectState, id = CLUSTER) => {
    const cluster = document.clusters.find((c) => c.id === id);
    if (!cluster) throw new Error(`no cluster ${id} in the document`);
    return cluster;
  };

  it("reset after an upgrade brings the seeded cluster back and removes the task; the other project is untouched", async () => {
    system = await testSystem(dialect);
    const seeded = await state();
    const otherBefore = await otherState();
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    await system.waitForTask(CLUSTER, taskId, (task) => task.status.phase === "Success");
    expect(clusterOf(await state()).version).toBe(TARGET);

    const summary = await reset();
    expect(summary).toMatchObject({
      projectId: PROJECT,
      removed: { clusters: 2, upgradeTasks: 1, nodes: 5 },
      restored: { clusters: 2, nodePools: 2, nodes: 5, addons: 2, upgradeTasks: 0, simulatorApplyLog: 0 },
    });
    expect(summary.removed.simulatorApplyLog).toBeGreaterThan(0);
    const after = await state();
    expect(withoutTimes(after)).toEqual(withoutTimes(seeded));
    expect(clusterOf(after)).toMatchObject({ version: SEEDED, phase: "Available", controlPlaneVersion: null });
    expect(clusterOf(after).nodes.every((node) => node.version === SEEDED && node.status === "Active")).toBe(true);
    expect((await system.call("GET", `${clusterPath(CLUSTER)}/operation/upgrade/tasks/${taskId}`)).status).toBe(404);
    expect(await otherState()).toEqual(otherBefore);
  });

  it("reset while an upgrade runs: the worker loses the task and writes nothing after the reset", async () => {
    system = await testSystem(dialect);
    const otherBefore = await otherState();
    const taskId = await stalledUpgrade();
    expect(system.engine.activeTasks).toBe(1);
    const running = await state();
    expect(clusterOf(running).controlPlaneVersion).toBe(TARGET);
    expect(clusterOf(running).simulator.applyLog.length).toBeGreaterThan(0);

    await reset();
    const afterReset = await state();
    // The reset deleted the stalling fault, so the worker goes on at once: its apply, its commit, its end.
    await pollUntil(
      async () => system.engine.activeTasks,
      (active) => active === 0,
    );
    expect(await state()).toEqual(afterReset);
    expect(clusterOf(afterReset)).toMatchObject({ version: SEEDED, controlPlaneVersion: null, upgradeTasks: [] });
    expect(clusterOf(afterReset).simulator).toEqual({ targets: [], applyLog: [] });
    expect(await system.runnableTasks()).toEqual([]);
    const fences = await system.store.db.selectFrom("simulated_fences").selectAll().execute();
    expect(fences.filter((row) => row.task_id === taskId)).toEqual([]);
    expect((await system.call("GET", `${clusterPath(CLUSTER)}/operation/upgrade/tasks/${taskId}`)).status).toBe(404);
    expect(await otherState()).toEqual(otherBefore);
  });

  it("resets racing the engine all succeed, and leave the seed; another project's upgrade goes on meanwhile", async () => {
    system = await testSystem(dialect);
    const seeded = await state();
    const other = await system.app.inject({
      method: "POST",
      url: `/api/v3/projects/${OTHER_PROJECT}/clusters/${OTHER_CLUSTER}/operation/upgrade`,
      headers: { "x-auth-token": OTHER_TOKEN },
      payload: upgradeBody("v1.29"),
    });
    expect(other.statusCode).toBe(200);
    for (let round = 0; round < 6; round++) {
      await system.startUpgrade(CLUSTER, "v1.29", { isOnlyUpgrade: true });
      await system.startUpgrade(OLD_CLUSTER, "v1.21", { isOnlyUpgrade: true });
      await new Promise((resolve) => setTimeout(resolve, 15 * round));
      await reset();
    }
    await pollUntil(
      async () => system.engine.activeTasks,
      (active) => active === 0,
    );
    expect(withoutTimes(await state())).toEqual(withoutTimes(seeded));
    expect(clusterOf(await otherState(), OTHER_CLUSTER)).toMatchObject({ version: TARGET, phase: "Available" });
  });

  it("reset while a backup is held: the runner's apply is refused and nothing of the backup comes back", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const applied: Promise<TargetOutcome>[] = [];
    const runner = startCheckRunner(system.store, {
      wrap: (simulator): ClusterCheckDriver => ({
        observe: (context, target) => simulator.observe(context, target),
        inspect: (context, target, request, signal) => simulator.inspect(context, target, request, signal),
        apply: (context, target, signal) => {
          const outcome = simulator.apply(context, target, signal);
          applied.push(outcome);
          return outcome;
        },
      }),
    });
    try {
      const fault = { step: "backup", times: 1, error: "Slow", mode: "stall", stallSeconds: 600 };
      expect((await system.call("POST", faultsOf(CLUSTER), fault)).status).toBe(201);
      expect(
        (await system.call("POST", `/api/v3.1/projects/${PROJECT}/clusters/${CLUSTER}/operation/snapshot`)).status,
      ).toBe(200);
      await pollUntil(
        async () => (await system.call("GET", faultsOf(CLUSTER))).body.items[0].remaining,
        (remaining) => remaining === 0,
      );
      await reset();
      const afterReset = await state();
      expect(await applied[0]).toMatchObject({ ok: false, failure: { code: "LeaseLost" } });
      await runner.stop();
      expect(await state()).toEqual(afterReset);
      expect(clusterOf(afterReset)).toMatchObject({ snapshots: [], simulator: { targets: [], applyLog: [] } });
    } finally {
      await runner.stop();
    }
  });

  it("a task exported mid-run, reset away and restored, is the same document and goes on to Success", async () => {
    system = await testSystem(dialect);
    const taskId = await stalledUpgrade();
    // Handed back mid-step: Running, its lease free, as a crashed worker's task is once its lease runs out.
    await system.engine.stop(0);
    const midRun = await state();
    expect(clusterOf(midRun).upgradeTasks[0]).toMatchObject({ id: taskId, phase: "Running" });

    await reset();
    const restored = await put(midRun);
    expect(restored.statusCode).toBe(200);
    expect(restored.json().restored).toMatchObject({ upgradeTasks: 1, simulatorFences: 1 });
    expect(await state()).toEqual(midRun);

    const engine = system.newEngine();
    engine.start();
    try {
      await system.waitForTask(CLUSTER, taskId, (task) => task.status.phase === "Success");
    } finally {
      await engine.stop(0);
    }
    const done = clusterOf(await state());
    expect(done.version).toBe(TARGET);
    expect(done.nodes.every((node) => node.version === TARGET)).toBe(true);
  });

  it("GET state, PUT it back, GET again: the same document, whatever the API did to the project", async () => {
    system = await testSystem(dialect, { startEngine: false });
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 10 }), async (actions) => {
        await reset();
        const engine = system.newEngine();
        engine.start();
        const runner = startCheckRunner(system.store);
        try {
          for (const step of actions) await perform(system, step);
        } finally {
          await engine.stop(0);
          await runner.stop();
        }
        const before = await state();
        const response = await put(before);
        expect(response.statusCode, response.body).toBe(200);
        expect(await state()).toEqual(before);
      }),
      { numRuns: 15 },
    );
  }, 120_000);

  it("answers another project's credential as it answers for an unknown project, and changes nothing", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const before = await state();
    const unknown = "00000000000000000000000000000000";
    const document = { ...before, projectId: OTHER_PROJECT };
    for (const [method, path, payload] of [
      ["POST", "reset", undefined],
      ["GET", "state", undefined],
      ["PUT", "state", document],
    ] as const) {
      const answers = [];
      for (const project of [PROJECT, unknown]) {
        const response = await system.app.inject({
          method,
          url: `/ext/v1/projects/${project}/${path}`,
          headers: { "x-auth-token": OTHER_TOKEN },
          ...(payload && { payload: { ...payload, projectId: project } }),
        });
        const body = expectCceError(response, 403, "APIGW.0302");
        const message = body.errorMessage?.replace(project, "<id>");
        answers.push({ ...body, request_id: "", errorMessage: message, error_msg: message });
      }
      expect(answers[0], `${method} ${path}`).toEqual(answers[1]);
    }
    expect(await state()).toEqual(before);
  });

  it("refuses a document naming another project's IDs, changing nothing", async () => {
    system = await testSystem(dialect, { startEngine: false });
    const before = await state();
    const theirs = (await otherState()).clusters[0];
    if (!theirs) throw new Error("the other project has no cluster");
    const stolen = { ...before, clusters: [...before.clusters, { ...theirs, name: "stolen" }] };
    expectCceError(await put(stolen), 400, "CCE.01400001");
    const faultId = "fault-of-the-other-project";
    const otherFault = { step: "node", times: 1, error: "Theirs" };
    await system.store.db
      .insertInto("cluster_faults")
      .values({
        ...{ id: faultId, cluster_id: OTHER_CLUSTER, step: otherFault.step, target: null, mode: "fail", remaining: 1 },
        ...{ error_code: otherFault.error, message: "", retryable: 0, stall_ms: 0, created_at: 1 },
      })
      .execute();
    const withFault = structuredClone(before);
    clusterOf(withFault).faults.push({
      ...{ id: faultId, step: "node", target: null, mode: "fail", remaining: 1, error: "Mine" },
      ...{ message: "", retryable: false, stallMs: 0, createdAt: 1 },
    });
    expectCceError(await put(withFault), 400, "CCE.01400001");
    expect(await state()).toEqual(before);
  });

  it("answers every bad document 400 in the CCE error form, changing nothing", async () => {
    system = await testSystem(dialect, { startEngine: false });
    await system.startUpgrade(OLD_CLUSTER, "v1.21");
    const before = await state();
    for (const [what, edit] of badDocuments()) {
      const response = await put(edit(structuredClone(before)));
      expect(response.statusCode, `a document with ${what}: ${response.body}`).toBe(400);
      expectCceError(response, 400, "CCE.01400001");
    }
    expect(await state()).toEqual(before);
  });

  it("answers a document nested too deep to write as JSON 400, not 500, changing nothing", async () => {
    system = await testSystem(dialect, { startEngine: false });
    await system.startUpgrade(OLD_CLUSTER, "v1.21");
    const before = await state();
    const deep = structuredClone(before);
    const [task] = clusterOf(deep, OLD_CLUSTER).upgradeTasks;
    if (!task) throw new Error("the upgrade is exported");
    task.request.addons = [{ addonTemplateName: "coredns", operation: "patch", version: "1.29.4", values: { v: 0 } }];
    const levels = 100_000;
    // As text: the client's JSON.stringify would overflow as the server's did.
    const text = JSON.stringify(deep).replace('{"v":0}', `${'{"v":'.repeat(levels)}0${"}".repeat(levels)}`);
    const response = await system.app.inject({
      method: "PUT",
      url: `${EXT}/state`,
      headers: { "x-auth-token": TOKEN, "content-type": "application/json" },
      payload: text,
    });
    expect(expectCceError(response, 400, "CCE.01400001").errorMessage).toBe("request body nests deeper than 64 levels");
    expect(await state()).toEqual(before);
  });

  it("refuses a restored stall longer than the fault API allows, unless it is the seed's own rule as seeded", async () => {
    const seed = testSeed();
    const cluster = seed.projects[0]?.clusters?.[0];
    if (!cluster) throw new Error("test seed has a cluster");
    cluster.faults = [{ step: "node", times: 1, error: "OperatorsLongStall", mode: "stall", stallSeconds: 7200 }];
    system = await testSystem(dialect, { seed, startEngine: false });
    const tenant = { step: "master", times: 1, error: "Slow", mode: "stall", stallSeconds: 600 };
    expect((await system.call("POST", faultsOf(CLUSTER), tenant)).status).toBe(201);
    const exported = await state();
    // The seed's two-hour stall and the tenant's ten minutes, as they are: restored.
    expect((await put(exported)).statusCode).toBe(200);

    const longer = structuredClone(exported);
    const faults = longer.clusters.find((c) => c.id === CLUSTER)?.faults ?? [];
    const tenants = faults.find((fault) => fault.error === "Slow");
    const seeded = faults.find((fault) => fault.error === "OperatorsLongStall");
    if (!tenants || !seeded) throw new Error("both faults are exported");
    tenants.stallMs = 86_400_000;
    const refused = expectCceError(await put(longer), 400, "CCE.01400001");
    expect(refused.errorMessage).toBe(`fault "${tenants.id}" stalls 86400 s, more than this server allows (600 s)`);
    tenants.stallMs = 600_000;
    seeded.stallMs = 86_400_000;
    expect(expectCceError(await put(longer), 400, "CCE.01400001").errorMessage).toMatch(/stalls 86400 s/);
    expect(await state()).toEqual(exported);
  });

  it("refuses to reset a project whose seed was never recorded, with CCE.01403003, changing nothing", async () => {
    system = await testSystem(dialect, { startEngine: false });
    await system.startUpgrade(CLUSTER, "v1.29");
    await system.store.db.deleteFrom("project_seeds").where("project_id", "=", PROJECT).execute();
    const before = await state();
    const response = await system.app.inject({
      method: "POST",
      url: `${EXT}/reset`,
      headers: { "x-auth-token": TOKEN },
    });
    expectCceError(response, 403, "CCE.01403003");
    expect(await state()).toEqual(before);
  });
});

describe("the project state routes in /openapi.json", () => {
  it("are described with their operation IDs and the ProjectState document", async () => {
    const system = await testSystem("sqlite", { startEngine: false });
    try {
      const doc = (await system.app.inject({ url: "/openapi.json" })).json();
      const paths = doc.paths as Record<string, Record<string, { operationId: string; requestBody?: unknown }>>;
      expect(paths["/ext/v1/projects/{project_id}/reset"]?.post?.operationId).toBe("ResetProject");
      expect(paths["/ext/v1/projects/{project_id}/state"]?.get?.operationId).toBe("ShowProjectState");
      expect(paths["/ext/v1/projects/{project_id}/state"]?.put?.operationId).toBe("RestoreProjectState");
      expect(JSON.stringify(paths["/ext/v1/projects/{project_id}/state"]?.put?.requestBody)).toContain("ProjectState");
    } finally {
      await system.close();
    }
  });
});

/** Something a client does to the project; the property test runs random sequences of them. */
type Action =
  | { kind: "fault"; cluster: string; step: string; mode: "fail" | "stall"; times: number; retryable: boolean }
  | { kind: "upgrade"; cluster: string; onlyUpgrade: boolean; addon: boolean }
  | { kind: "precheck" | "snapshot" | "workflow" | "postcheck"; cluster: string }
  | { kind: "pause" | "continue" | "retry"; cluster: string }
  | { kind: "deleteFault"; cluster: string }
  | { kind: "wait"; ms: number };

const clusterArb = fc.constantFrom(CLUSTER, OLD_CLUSTER);
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("fault" as const),
    cluster: clusterArb,
    step: fc.constantFrom("precheck", "backup", "master", "addon", "node"),
    mode: fc.constantFrom("fail" as const, "stall" as const),
    times: fc.integer({ min: 1, max: 3 }),
    retryable: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("upgrade" as const),
    cluster: clusterArb,
    onlyUpgrade: fc.boolean(),
    addon: fc.boolean(),
  }),
  fc.record({ kind: fc.constantFrom("precheck", "snapshot", "workflow", "postcheck"), cluster: clusterArb }),
  fc.record({ kind: fc.constantFrom("pause", "continue", "retry"), cluster: clusterArb }),
  fc.record({ kind: fc.constant("deleteFault" as const), cluster: clusterArb }),
  fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 150 }) }),
);

/** Sends the action's request; a refusal (a target the cluster cannot reach, a control out of place) is fine too. */
async function perform(system: System, step: Action): Promise<void> {
  if (step.kind === "wait") {
    await new Promise((resolve) => setTimeout(resolve, step.ms));
    return;
  }
  const path = clusterPath(step.cluster);
  const versions = {
    from: step.cluster === CLUSTER ? "v1.28.15-r30" : "v1.19.16-r4",
    to: step.cluster === CLUSTER ? "v1.29" : "v1.21",
  };
  switch (step.kind) {
    case "fault": {
      const { kind: _, cluster: __, times, ...fault } = step;
      await system.call("POST", faultsOf(step.cluster), { ...fault, times, error: "Injected", stallSeconds: 1 });
      return;
    }
    case "deleteFault": {
      const [first] = (await system.call("GET", faultsOf(step.cluster))).body.items;
      if (first) await system.call("DELETE", `${faultsOf(step.cluster)}/${first.id}`);
      return;
    }
    case "upgrade": {
      // An add-on step and no embedded pre-check make other plans.
      const addons =
        step.addon && step.cluster === CLUSTER
          ? [{ addonTemplateName: "coredns", operation: "patch", version: "1.29.4" }]
          : [];
      const action = { isOnlyUpgrade: step.onlyUpgrade, ...(addons.length > 0 && { addons }) };
      await system.call("POST", `${path}/operation/upgrade`, upgradeBody(versions.to, action));
      return;
    }
    case "precheck":
      await system.call("POST", `${path}/operation/precheck`, {
        kind: "PreCheckTask",
        apiVersion: "v3",
        spec: { clusterVersion: versions.from, targetVersion: versions.to },
      });
      return;
    case "postcheck":
      await system.call("POST", `${path}/operation/postcheck`, {
        kind: "PostCheckTask",
        apiVersion: "v3",
        spec: { clusterVersion: versions.from, targetVersion: versions.to },
      });
      return;
    case "snapshot":
      await system.call("POST", `/api/v3.1/projects/${PROJECT}/clusters/${step.cluster}/operation/snapshot`);
      return;
    case "workflow":
      await system.call("POST", `${path}/operation/upgradeworkflows`, {
        kind: "WorkFlowTask",
        apiVersion: "v3",
        spec: { targetVersion: versions.to },
      });
      return;
    default:
      await system.call("POST", `${path}/operation/upgrade/${step.kind}`);
  }
}

/** Documents wrong in one way each, made from a valid one (whose OLD_CLUSTER has an upgrade task). */
function badDocuments(): [string, (document: ProjectState) => unknown][] {
  const main = (d: ProjectState) => d.clusters.find((c) => c.id === CLUSTER) as ProjectState["clusters"][number];
  const old = (d: ProjectState) => d.clusters.find((c) => c.id === OLD_CLUSTER) as ProjectState["clusters"][number];
  const task = (d: ProjectState) => old(d).upgradeTasks[0] as ProjectState["clusters"][number]["upgradeTasks"][number];
  /** The document after `change`. */
  const edited = (change: (d: ProjectState) => void) => (d: ProjectState) => {
    change(d);
    return d;
  };
  return [
    ["a body that is not an object", () => [1, 2]],
    ["another kind", (d) => ({ ...d, kind: "SeedFile" })],
    ["a newer version", (d) => ({ ...d, version: 3 })],
    ["no clusters", ({ clusters: _, ...rest }) => rest],
    ["an unknown key", (d) => ({ ...d, extra: true })],
    ["another project's ID", (d) => ({ ...d, projectId: OTHER_PROJECT })],
    [
      "a node in no pool",
      edited((d) => {
        for (const node of main(d).nodes) node.poolId = "nowhere";
      }),
    ],
    [
      "a cluster version outside the catalogue",
      edited((d) => {
        main(d).version = "v1.99.0";
      }),
    ],
    ["a cluster ID used twice", (d) => ({ ...d, clusters: [...d.clusters, { ...main(d), name: "twin" }] })],
    ["a task ID used twice", edited((d) => main(d).workflows.push(workflowOf(task(d))))],
    ["two active upgrades of a cluster", edited((d) => old(d).upgradeTasks.push({ ...task(d), id: "second-task" }))],
    [
      "a step cursor past the plan",
      edited((d) => {
        task(d).stepCursor = 3;
      }),
    ],
    [
      "a plan step of an unknown kind",
      edited((d) => {
        task(d).plan = { steps: [{ ...planStep(), kind: "reboot" as never }] };
      }),
    ],
    [
      "a driver profile the project may not use",
      edited((d) => {
        main(d).driver = { choice: { type: "profile", profile: "kubeadm" }, updatedAt: 1 };
      }),
    ],
    ["a fault of an unknown mode", edited((d) => main(d).faults.push({ ...fault(), mode: "explode" as never }))],
    [
      "a negative time",
      edited((d) => {
        main(d).createdAt = -1;
      }),
    ],
  ];
}

function workflowOf(task: { id: string; fromVersion: string; targetVersion: string; createdAt: number }) {
  return {
    id: task.id,
    clusterVersion: task.fromVersion,
    targetVersion: task.targetVersion,
    cancelledAt: null,
    createdAt: task.createdAt,
    updatedAt: task.createdAt,
  };
}

function planStep() {
  return {
    kind: "master" as const,
    name: "control-plane",
    weight: 20,
    targets: [],
    phase: "Init" as const,
    attempts: 0,
    startedAt: null,
    finishedAt: null,
    error: null,
  };
}

function fault() {
  return {
    id: "f",
    step: "node" as const,
    target: null,
    mode: "fail" as const,
    remaining: 1,
    error: "E",
    message: "",
    retryable: false,
    stallMs: 0,
    createdAt: 1,
  };
}

/** The document without its instants, which a reset sets to its own time. */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.endsWith("At"))
      .map(([key, child]) => [key, withoutTimes(child)]),
  );
}
