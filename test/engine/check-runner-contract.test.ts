import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/domain/clock.js";
import { evaluatePrecheck } from "../../src/domain/upgrade-checks.js";
import {
  type CheckRunnerOptions,
  CheckTaskRunner,
  type CheckTaskStore,
  type DueCheckTask,
} from "../../src/engine/check-runner.js";

/** The check runner through its store port: a store that hands out scripted due tasks and records each move. */

const NOW = 5_000_000_000;
const OPTIONS: CheckRunnerOptions = {
  pollIntervalMs: 250,
  precheckMs: 4_000.4,
  snapshotMs: 1_500,
  precheckValidityMs: 3_600_000,
};

/** A clock standing still whose sleeps wait for `wake` (or their signal). */
class HeldClock implements Clock {
  readonly sleeps: number[] = [];
  #wakers: (() => void)[] = [];
  nowMicros(): number {
    return NOW;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      this.#wakers.push(resolve);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  }
  wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }
}

type Move = readonly [string, ...unknown[]];

class RecordingCheckStore implements CheckTaskStore {
  readonly moves: Move[] = [];
  readonly asked: [number, number][] = [];
  /** What each call of dueTasks answers, in turn; nothing once they run out. An Error is thrown. */
  rounds: (DueCheckTask[] | Error)[] = [];
  /** Tasks another runner moves first: their move answers false. */
  readonly movedElsewhere = new Set<string>();

  async dueTasks(nowMicros: number, limit: number): Promise<DueCheckTask[]> {
    this.asked.push([nowMicros, limit]);
    const round = this.rounds.shift() ?? [];
    if (round instanceof Error) throw round;
    return round;
  }
  async startTask(task: DueCheckTask, nowMicros: number, dueAtMicros: number): Promise<boolean> {
    this.moves.push(["start", task.id, nowMicros, dueAtMicros]);
    return !this.movedElsewhere.has(task.id);
  }
  async finishPrecheck(
    task: DueCheckTask,
    nowMicros: number,
    expiresAtMicros: number,
    evaluate: typeof evaluatePrecheck,
  ): Promise<boolean> {
    this.moves.push(["finishPrecheck", task.id, nowMicros, expiresAtMicros, evaluate]);
    return !this.movedElsewhere.has(task.id);
  }
  async finishSnapshot(task: DueCheckTask, nowMicros: number): Promise<boolean> {
    this.moves.push(["finishSnapshot", task.id, nowMicros]);
    return !this.movedElsewhere.has(task.id);
  }
}

const task = (kind: DueCheckTask["kind"], phase: DueCheckTask["phase"], id: string): DueCheckTask => ({
  kind,
  id,
  phase,
  fence: 3,
});

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function setup() {
  const store = new RecordingCheckStore();
  const clock = new HeldClock();
  const errors: [object, string][] = [];
  const logger = { info() {}, warn() {}, error: (fields: object, message: string) => errors.push([fields, message]) };
  return { store, clock, errors, runner: new CheckTaskRunner(store, clock, OPTIONS, logger) };
}

describe("CheckTaskRunner.runOnce", () => {
  it("starts Init tasks for their kind's duration and finishes Running ones, 64 at most per round", async () => {
    const { store, runner } = setup();
    store.rounds = [
      [
        task("precheck", "Init", "p-init"),
        task("snapshot", "Init", "s-init"),
        task("precheck", "Running", "p-run"),
        task("snapshot", "Running", "s-run"),
      ],
    ];
    expect(await runner.runOnce()).toBe(4);
    expect(store.asked).toEqual([[NOW, 64]]);
    expect(store.moves).toEqual([
      ["start", "p-init", NOW, NOW + 4_000_400],
      ["start", "s-init", NOW, NOW + 1_500_000],
      ["finishPrecheck", "p-run", NOW, NOW + 3_600_000_000, evaluatePrecheck],
      ["finishSnapshot", "s-run", NOW],
    ]);
  });

  it("rounds a duration to whole microseconds", async () => {
    const { store, clock } = setup();
    const runner = new CheckTaskRunner(store, clock, { ...OPTIONS, snapshotMs: 0.0006 }, console);
    store.rounds = [[task("snapshot", "Init", "s")]];
    await runner.runOnce();
    expect(store.moves[0]).toEqual(["start", "s", NOW, NOW + 1]);
  });

  it("counts only the moves it made, not those another runner made first", async () => {
    const { store, runner } = setup();
    store.rounds = [
      [task("precheck", "Init", "a"), task("precheck", "Running", "b"), task("snapshot", "Running", "c")],
    ];
    store.movedElsewhere.add("a").add("c");
    expect(await runner.runOnce()).toBe(1);
    expect(store.moves).toHaveLength(3);
  });
});

describe("CheckTaskRunner's loop", () => {
  it("goes on at once while there is work, sleeps the poll interval when there is none, and stops", async () => {
    const { store, clock, runner } = setup();
    store.rounds = [[task("precheck", "Init", "a")], [task("precheck", "Running", "a")], []];
    runner.start();
    runner.start();
    await until(() => clock.sleeps.length === 1, "the first sleep");
    expect(store.asked).toHaveLength(3);
    expect(store.moves.map((m) => m[0])).toEqual(["start", "finishPrecheck"]);
    expect(clock.sleeps).toEqual([250]);
    clock.wake();
    await until(() => clock.sleeps.length === 2, "the second sleep");
    expect(store.asked).toHaveLength(4);
    await runner.stop();
    expect(store.asked).toHaveLength(4);
  });

  it("logs a failing round and tries again after the poll interval", async () => {
    const { store, clock, errors, runner } = setup();
    const error = new Error("database is locked");
    store.rounds = [error, [task("snapshot", "Running", "s")]];
    runner.start();
    await until(() => clock.sleeps.length === 1, "the pause after the failure");
    expect(errors).toEqual([[{ err: error }, "moving check tasks failed; retrying"]]);
    clock.wake();
    await until(() => store.moves.length === 1, "the next round");
    await runner.stop();
  });

  it("stops without having started", async () => {
    const { runner } = setup();
    await runner.stop();
  });
});
