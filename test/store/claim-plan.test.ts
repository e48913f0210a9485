import { CompiledQuery, type KyselyPlugin, type RootOperationNode, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeUpgradeAction } from "../../src/domain/upgrade-request.js";
import { engineStore } from "../../src/store/engine-store.js";
import { applySeed } from "../../src/store/seed-file.js";
import type { NewUpgradeTask } from "../../src/store/upgrade-task-queries.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import {
  CLUSTER,
  ManualClock,
  OLD_CLUSTER,
  OTHER_CLUSTER,
  OTHER_PROJECT,
  PROJECT,
  testSeed,
} from "../support/fixtures.js";

const FINISHED = 50_000;
const action = JSON.stringify(
  normalizeUpgradeAction({ targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } }, "v1.29.15-r50"),
);

function task(
  id: string,
  project: string,
  cluster: string,
  phase: NewUpgradeTask["phase"],
  at: number,
): NewUpgradeTask {
  return {
    id,
    project_id: project,
    cluster_id: cluster,
    phase,
    from_version: "v1.28.15-r30",
    target_version: "v1.29.15-r50",
    target_platform_version: "cce.12.0",
    request: action,
    plan: null,
    failure_reason: null,
    requested_control: null,
    lease_owner: null,
    lease_expires_at: null,
    created_at: at,
    updated_at: at,
    completed_at: phase === "Success" ? at : null,
  };
}

/** Records the operation nodes of the queries run through a Kysely instance, to compile and explain them after. */
function queryRecorder() {
  const nodes: RootOperationNode[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => {
      nodes.push(node);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  return { nodes, plugin };
}

describe.each(DIALECTS)(`the claim's plan on %s with ${FINISHED} finished tasks`, (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  const clock = new ManualClock();

  beforeAll(async () => {
    store = await freshStore(dialect);
    await applySeed(store, testSeed(), clock);
    const start = clock.nowMicros() - FINISHED * 1000;
    const finished = Array.from({ length: FINISHED }, (_, i) =>
      task(`done-${i}`, i % 2 ? PROJECT : OTHER_PROJECT, i % 2 ? CLUSTER : OTHER_CLUSTER, "Success", start + i * 1000),
    );
    await store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < finished.length; i += 500) {
        await trx
          .insertInto("upgrade_tasks")
          .values(finished.slice(i, i + 500))
          .execute();
      }
    });
    const now = clock.nowMicros();
    await store.db
      .insertInto("upgrade_tasks")
      .values([
        task("queued-1", PROJECT, CLUSTER, "Queuing", now),
        task("queued-2", PROJECT, OLD_CLUSTER, "Init", now + 1),
        task("queued-3", OTHER_PROJECT, OTHER_CLUSTER, "Running", now + 2),
      ])
      .execute();
    if (dialect === "postgres") await sql`analyze upgrade_tasks`.execute(store.db);
  }, 120_000);
  afterAll(async () => store?.close());

  /** The claim as the engine runs it (fair share included), each statement explained on the same parameters. */
  async function explainClaim(): Promise<{ plans: string[][]; claimed: string[] }> {
    const recorder = queryRecorder();
    const recorded = engineStore({ ...store, db: store.db.withPlugin(recorder.plugin) });
    // One slot per project: project one's second task must wait while project two's is within its share.
    const claimed = await recorded.claimRunnableTasks("w", clock.nowMicros(), 10_000_000, 2, 1);
    const plans: string[][] = [];
    for (const node of recorder.nodes) {
      const compiled = store.db.getExecutor().compileQuery(node as RootOperationNode, { queryId: "claim" });
      const explain = dialect === "sqlite" ? "explain query plan " : "explain ";
      const { rows } = await store.db.executeQuery<Record<string, string>>(
        CompiledQuery.raw(`${explain}${compiled.sql}`, [...compiled.parameters]),
      );
      plans.push(rows.map((row) => (dialect === "sqlite" ? String(row.detail) : String(row["QUERY PLAN"]))));
    }
    return { plans, claimed: claimed.map((t) => t.id).sort() };
  }

  it("reads runnable tasks through the partial claim index, never by scanning the table, fair share included", async () => {
    const { plans, claimed } = await explainClaim();
    // Whether any task waits, then the claim: the fair-share rule is inside the claim, not a third query.
    expect(plans).toHaveLength(2);
    for (const plan of plans) {
      expect(plan.join("\n")).toContain("upgrade_tasks_claim");
      if (dialect === "sqlite") {
        // A bare `SCAN upgrade_tasks` (or its alias) reads every row; with an index it says `USING … INDEX`.
        expect(plan.filter((line) => /^SCAN (upgrade_tasks|t)\b/.test(line) && !/USING .*INDEX/.test(line))).toEqual(
          [],
        );
      } else {
        expect(plan.filter((line) => /Seq Scan on upgrade_tasks/.test(line))).toEqual([]);
      }
    }
    expect(claimed).toEqual(["queued-1", "queued-3"]);
  });
});
