import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { CLUSTER } from "../support/fixtures.js";
import { testSystem } from "../support/system.js";

type System = Awaited<ReturnType<typeof testSystem>>;

/**
 * ShowUpgradeClusterTask answers from memory on SQLite: it must still never answer older than a write that was
 * acknowledged, in this process or in another one on the same file.
 */
describe("ShowUpgradeClusterTask after writes", () => {
  let system: System | undefined;
  let other: Store | undefined;
  afterEach(async () => {
    await other?.close();
    other = undefined;
    await system?.close();
  });

  const progressAfterEachWrite = async (write: (progress: number) => Promise<unknown>) => {
    const { startUpgrade, task } = system as System;
    const taskId = await startUpgrade(CLUSTER, "v1.29");
    const seen: string[] = [(await task(CLUSTER, taskId)).status.progress];
    for (const progress of [1_000, 2_500, 2_600, 9_999]) {
      // Read twice between writes: the second read is the one memory could answer.
      await task(CLUSTER, taskId);
      await write(progress);
      seen.push((await task(CLUSTER, taskId)).status.progress);
    }
    return { taskId, seen };
  };

  it("answers a write of this process at the next read", async () => {
    system = await testSystem("sqlite", { startEngine: false });
    const { store } = system;
    const { seen } = await progressAfterEachWrite((progress) =>
      store.db.updateTable("upgrade_tasks").set({ progress, phase: "Running" }).execute(),
    );
    expect(seen).toEqual(["0.00", "10.00", "25.00", "26.00", "99.99"]);
  });

  it("answers a commit of another connection to the file (another process) at the next read", async () => {
    system = await testSystem("sqlite", { startEngine: false });
    other = await openStore(system.store.url);
    const writer = other;
    const { seen } = await progressAfterEachWrite((progress) =>
      writer.db.updateTable("upgrade_tasks").set({ progress }).execute(),
    );
    expect(seen).toEqual(["0.00", "10.00", "25.00", "26.00", "99.99"]);
  });

  it("answers a control request's effect at once: pause, then continue, as the engine moves the task", async () => {
    system = await testSystem("sqlite", { speed: 20 });
    const { startUpgrade, task, control } = system;
    const taskId = await startUpgrade(CLUSTER, "v1.29");
    expect((await control(CLUSTER, "pause")).status).toBe(200);
    for (let read = 0; read < 200; read++) {
      const phase = (await task(CLUSTER, taskId)).status.phase;
      if (phase === "Pause") break;
      expect(["Init", "Queuing", "Running"]).toContain(phase);
    }
    expect((await task(CLUSTER, taskId)).status.phase).toBe("Pause");
    expect((await control(CLUSTER, "continue")).status).toBe(200);
    expect((await task(CLUSTER, taskId)).status.phase).not.toBe("Pause");
  });
});
