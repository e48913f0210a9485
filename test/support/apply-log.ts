import { expect } from "vitest";
import type { Store } from "../../src/store/database.js";

/** How many times the simulator applied each target of a step kind, per task: `<task>/<target>` → calls. */
export async function appliesPerTarget(store: Store, kind: string, taskIds?: readonly string[]) {
  let query = store.db
    .selectFrom("simulator_apply_log")
    .select(["task_id", "target"])
    .where("step_kind", "=", kind)
    .where("outcome", "in", ["changed", "unchanged"]);
  if (taskIds) query = query.where("task_id", "in", taskIds);
  const counts = new Map<string, number>();
  for (const { task_id, target } of await query.execute()) {
    const key = `${task_id}/${target}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Asserts from the apply log that each of `expected` targets (`<task>/<target>`) was applied exactly once and nothing
 * else was: a repeat, a miss and a stranger all fail.
 */
export async function expectAppliedOnce(store: Store, kind: string, expected: readonly string[]): Promise<void> {
  const counts = await appliesPerTarget(store, kind);
  const repeated = [...counts].filter(([, n]) => n > 1).map(([key, n]) => `${key} ×${n}`);
  expect(repeated, `${kind} targets applied more than once`).toEqual([]);
  expect([...counts.keys()].sort(), `${kind} targets applied`).toEqual([...expected].sort());
}
