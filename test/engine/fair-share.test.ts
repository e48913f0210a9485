import { afterEach, describe, expect, it } from "vitest";
import { normalizeUpgradeAction } from "../../src/domain/upgrade-request.js";
import { engineStore } from "../../src/store/engine-store.js";
import { applySeed, type SeedFile } from "../../src/store/seed-file.js";
import { insertUpgradeTask } from "../../src/store/upgrade-task-queries.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import { ManualClock, OTHER_PROJECT, OTHER_TOKEN, PROJECT, TOKEN, testSeed, upgradeBody } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

type System = Awaited<ReturnType<typeof testSystem>>;

const SLOTS = 4;
const clusterOf = (project: "a" | "b", i: number) =>
  `${project === "a" ? "aaaaaaaa" : "bbbbbbbb"}-0000-4000-8000-${String(i).padStart(12, "0")}`;

/**
 * Project A (the test seed's first project) has `a` clusters whose control-plane step stalls for an hour (the seed's
 * faults are the operator's); project B (the second) has `b` clusters that upgrade at once.
 */
function twoProjectSeed(a: number, b: number): SeedFile {
  const [one, two] = testSeed().projects;
  if (!one || !two) throw new Error("the test seed has two projects");
  const cluster = (project: "a" | "b", i: number) => ({
    id: clusterOf(project, i),
    name: `${project}${i}`,
    version: "v1.28.15-r30",
    nodePools: [{ id: "DefaultPool", name: "DefaultPool", nodeCount: 1 }],
    ...(project === "a" && { faults: [{ step: "master", times: 1, error: "Stall", mode: "stall" }] }),
  });
  // The seed schema's step union is typed `never` by TypeBox, so the literal is cast.
  return {
    projects: [
      { ...one, clusters: Array.from({ length: a }, (_, i) => cluster("a", i)) },
      { ...two, clusters: Array.from({ length: b }, (_, i) => cluster("b", i)) },
    ],
  } as SeedFile;
}

/** Starts an upgrade and reads tasks with each project's own credential. */
function tenant(system: System, project: "a" | "b") {
  const [id, token] = project === "a" ? [PROJECT, TOKEN] : [OTHER_PROJECT, OTHER_TOKEN];
  const path = (i: number) => `/api/v3/projects/${id}/clusters/${clusterOf(project, i)}/operation/upgrade`;
  const headers = { "x-auth-token": token };
  return {
    async start(i: number): Promise<string> {
      const response = await system.app.inject({
        method: "POST",
        url: path(i),
        headers,
        payload: upgradeBody("v1.29"),
      });
      expect(response.statusCode).toBe(200);
      return response.json().uid;
    },
    async phase(i: number, taskId: string): Promise<string> {
      const response = await system.app.inject({ method: "GET", url: `${path(i)}/tasks/${taskId}`, headers });
      return response.json().status.phase;
    },
  };
}

/** The plan step a task of project A is on: its stalled control-plane step (index 2) once it runs. */
async function stepOf(system: System, i: number, taskId: string): Promise<string | undefined> {
  const plan = await system.plan(clusterOf("a", i), taskId);
  return plan.steps[plan.currentStep]?.name;
}

describe.each(DIALECTS)("a fair share of the engine per project on %s", (dialect) => {
  let system: System;
  afterEach(async () => system?.close());

  it("runs project B's upgrade to Success while project A's stalled upgrades fill the engine, then gives A every slot", async () => {
    system = await testSystem(dialect, {
      seed: twoProjectSeed(SLOTS, 1),
      engine: { concurrency: SLOTS, projectShare: 0.5 },
      startEngine: false,
    });
    const a = tenant(system, "a");
    const b = tenant(system, "b");
    const aTasks: string[] = [];
    for (let i = 0; i < SLOTS; i++) aTasks.push(await a.start(i));
    const bTask = await b.start(0);
    system.engine.start();

    await expect.poll(() => b.phase(0, bTask), { timeout: 15_000 }).toBe("Success");
    // B has nothing left: A's waiting upgrades take the freed slot, and every one of them stalls in its master step.
    for (const [i, taskId] of aTasks.entries()) {
      await expect.poll(() => stepOf(system, i, taskId), { timeout: 15_000 }).toBe("control-plane");
      expect(await a.phase(i, taskId)).toBe("Running");
    }
    expect(system.engine.activeTasks).toBe(SLOTS);
  });

  it("gives one project every slot when no other project has work", async () => {
    system = await testSystem(dialect, {
      seed: twoProjectSeed(SLOTS + 1, 1),
      engine: { concurrency: SLOTS, projectShare: 0.5 },
    });
    const a = tenant(system, "a");
    const aTasks: string[] = [];
    for (let i = 0; i <= SLOTS; i++) aTasks.push(await a.start(i));
    await expect.poll(() => system.engine.activeTasks, { timeout: 15_000 }).toBe(SLOTS);
    for (const [i, taskId] of aTasks.slice(0, SLOTS).entries()) {
      await expect.poll(() => stepOf(system, i, taskId), { timeout: 15_000 }).toBe("control-plane");
    }
    expect(await a.phase(SLOTS, aTasks[SLOTS] as string)).toBe("Init");
  });
});

const TTL_MICROS = 10_000_000;
const action = normalizeUpgradeAction(
  { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } },
  "v1.29.15-r50",
);

describe.each(DIALECTS)("the fair-share claim on %s", (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  const clock = new ManualClock();
  afterEach(async () => store?.close());

  /** `a` queued tasks of project A, then `b` of project B, each a microsecond younger than the one before. */
  async function queue(a: number, b: number) {
    store = await freshStore(dialect);
    await applySeed(store, twoProjectSeed(a, b), clock);
    const tasks = [
      ...Array.from({ length: a }, (_, i) => ({ project: PROJECT, cluster: clusterOf("a", i), id: `a${i}` })),
      ...Array.from({ length: b }, (_, i) => ({ project: OTHER_PROJECT, cluster: clusterOf("b", i), id: `b${i}` })),
    ];
    for (const [order, task] of tasks.entries()) {
      await insertUpgradeTask(store.db, {
        id: task.id,
        project_id: task.project,
        cluster_id: task.cluster,
        phase: "Queuing",
        from_version: "v1.28.15-r30",
        target_version: "v1.29.15-r50",
        target_platform_version: "cce.12.0",
        request: JSON.stringify(action),
        plan: null,
        failure_reason: null,
        requested_control: null,
        lease_owner: null,
        lease_expires_at: null,
        created_at: clock.nowMicros() + order,
        updated_at: clock.nowMicros(),
        completed_at: null,
      });
    }
    const engine = engineStore(store);
    return async (owner: string, limit: number, projectSlots: number) =>
      (await engine.claimRunnableTasks(owner, clock.nowMicros(), TTL_MICROS, limit, projectSlots))
        .map((task) => task.id)
        .sort();
  }

  it("takes at most a project's share while another project has work waiting, counting what the worker holds", async () => {
    const claim = await queue(6, 3);
    expect(await claim("w", 1, 2)).toEqual(["a0"]);
    expect(await claim("w", 2, 2)).toEqual(["a1", "b0"]);
    // A holds its two slots: B's next task goes first although A's are older.
    expect(await claim("w", 1, 2)).toEqual(["b1"]);
    // Both hold their share: what is left goes to the oldest work.
    expect(await claim("w", 1, 2)).toEqual(["a2"]);
  });

  it("is work-conserving: slots no project wants within its share go to the oldest work", async () => {
    const claim = await queue(6, 1);
    expect(await claim("w", 4, 2)).toEqual(["a0", "a1", "b0"]);
    // B has nothing left waiting: A may go beyond its share.
    expect(await claim("w", 4, 2)).toEqual(["a2", "a3", "a4", "a5"]);
  });

  it("counts only the claiming worker's own tasks against the share", async () => {
    const claim = await queue(4, 2);
    expect(await claim("other", 2, 2)).toEqual(["a0", "a1"]);
    expect(await claim("w", 4, 2)).toEqual(["a2", "a3", "b0", "b1"]);
  });
});
