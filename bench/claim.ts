// The engine's claim with many finished tasks in the table, before and after it named its phases as literals and
// gained its partial index and the fair-share rule, on SQLite and PostgreSQL side by side.
// Usage: npm run bench:claim -- [--finished 50000] [--waiting 20] [--claims 400] [--dialect sqlite,postgres]
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { systemClock } from "../src/domain/clock.js";
import { normalizeUpgradeAction } from "../src/domain/upgrade-request.js";
import { type DialectName, openStore, type Store } from "../src/store/database.js";
import { engineStore } from "../src/store/engine-store.js";
import { migrateToLatest } from "../src/store/migrate.js";
import { applySeed } from "../src/store/seed-file.js";
import type { NewUpgradeTask } from "../src/store/upgrade-task-queries.js";

const { values } = parseArgs({
  options: {
    finished: { type: "string", default: "50000" },
    waiting: { type: "string", default: "20" },
    claims: { type: "string", default: "400" },
    dialect: { type: "string", default: "sqlite,postgres" },
  },
});
const FINISHED = Number(values.finished);
const WAITING = Number(values.waiting);
const CLAIMS = Number(values.claims);
const PROJECTS = ["0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"];
const LIMIT = 4;
const PROJECT_SLOTS = 8;

function databaseUrl(dialect: DialectName): string {
  if (dialect === "sqlite") return `sqlite:${join(mkdtempSync(join(tmpdir(), "cce-bench-")), "claim.db")}`;
  const url = new URL(process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test");
  url.searchParams.set("schema", `bench_claim_${Date.now()}`);
  return url.toString();
}

const clusterId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

/** Two projects; cluster 0 carries the finished tasks, clusters 1… one waiting task each. */
async function fill(store: Store): Promise<void> {
  await applySeed(
    store,
    {
      projects: PROJECTS.map((id, p) => ({
        id,
        name: `p${p}`,
        clusters: Array.from({ length: WAITING + 1 }, (_, i) => i)
          .filter((i) => i % PROJECTS.length === p)
          .map((i) => ({ id: clusterId(i), name: `c${i}`, version: "v1.28.15-r30" })),
      })),
    },
    systemClock(),
  );
  const request = JSON.stringify(
    normalizeUpgradeAction({ targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } }, "v1.29.15-r50"),
  );
  const task = (i: number, cluster: number, phase: NewUpgradeTask["phase"]): NewUpgradeTask => ({
    id: randomUUID(),
    project_id: PROJECTS[cluster % PROJECTS.length] as string,
    cluster_id: clusterId(cluster),
    phase,
    from_version: "v1.28.15-r30",
    target_version: "v1.29.15-r50",
    target_platform_version: "cce.12.0",
    request,
    plan: null,
    failure_reason: null,
    requested_control: null,
    lease_owner: null,
    lease_expires_at: null,
    created_at: i,
    updated_at: i,
    completed_at: phase === "Success" ? i : null,
  });
  const rows = [
    ...Array.from({ length: FINISHED }, (_, i) => task(i, 0, "Success")),
    ...Array.from({ length: WAITING }, (_, i) => task(FINISHED + i, i + 1, "Queuing")),
  ];
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 500) {
      await trx
        .insertInto("upgrade_tasks")
        .values(rows.slice(i, i + 500))
        .execute();
    }
  });
}

/** The claim as it was before migration 0008: bound phases, ordered by age, no fair share. */
async function claimBefore(store: Store, owner: string, nowMicros: number): Promise<string[]> {
  let runnable = store.db
    .selectFrom("upgrade_tasks")
    .select("id")
    .where("phase", "in", ["Init", "Queuing", "Running"])
    .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<=", nowMicros)]))
    .orderBy("created_at")
    .limit(LIMIT);
  if (store.dialect === "postgres") runnable = runnable.forUpdate().skipLocked();
  const rows = await store.db
    .updateTable("upgrade_tasks")
    .set({ lease_owner: owner, lease_expires_at: nowMicros + 60_000_000, fence: sql`fence + 1` })
    .where("id", "in", runnable)
    .returning("id")
    .execute();
  return rows.map((row) => row.id);
}

/** The claim with literal phases and the partial index but without the fair-share rule: what that rule costs. */
async function claimWithoutShare(store: Store, owner: string, nowMicros: number): Promise<string[]> {
  const phases = sql.join(["Init", "Queuing", "Running"].map((phase) => sql.lit(phase)));
  const lock = store.dialect === "postgres" ? sql`for update skip locked` : sql``;
  const { rows } = await sql<{ id: string }>`
    update upgrade_tasks set lease_owner = ${owner}, lease_expires_at = ${nowMicros + 60_000_000}, fence = fence + 1
    where id in (
      select id from upgrade_tasks
      where phase in (${phases}) and (lease_expires_at is null or lease_expires_at <= ${nowMicros})
      order by created_at limit ${LIMIT} ${lock}
    )
    returning id`.execute(store.db);
  return rows.map((row) => row.id);
}

async function claimNow(store: Store, owner: string, nowMicros: number): Promise<string[]> {
  const tasks = await engineStore(store).claimRunnableTasks(owner, nowMicros, 60_000_000, LIMIT, PROJECT_SLOTS);
  return tasks.map((task) => task.id);
}

class RolledBack extends Error {}

/** Wall-clock median and p90, and the median CPU time of this process (all of the work on SQLite, in-process). */
interface Timing {
  readonly median: number;
  readonly p90: number;
  readonly cpuMedian: number;
}

/**
 * Per claim, in ms: median and 90th percentile of the statement alone. Each claim runs in a transaction that is rolled
 * back, so the durable commit (an fsync, the same before and after) is not counted and every claim sees the same rows.
 */
async function measure(store: Store, claim: typeof claimNow): Promise<Timing> {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < CLAIMS; i++) {
    await store.db
      .transaction()
      .execute(async (trx) => {
        const started = performance.now();
        const cpu = process.cpuUsage();
        const ids = await claim({ ...store, db: trx }, "bench", Date.now() * 1000);
        const used = process.cpuUsage(cpu);
        times.push(performance.now() - started);
        cpuTimes.push((used.user + used.system) / 1000);
        if (ids.length !== LIMIT) throw new Error(`claimed ${ids.length} tasks, expected ${LIMIT}`);
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const p90 = times.sort((a, b) => a - b)[Math.floor(CLAIMS * 0.9)] as number;
  return { median: median(times), p90, cpuMedian: median(cpuTimes) };
}

/** Puts the schema's claim index back as it was before 0008, or as 0008 makes it. */
async function claimIndexes(store: Store, state: "before" | "now"): Promise<void> {
  if (state === "before") {
    await sql`drop index upgrade_tasks_claim`.execute(store.db);
    await sql`create index upgrade_tasks_runnable on upgrade_tasks (lease_expires_at)
      where phase in ('Init', 'Queuing', 'Running')`.execute(store.db);
  } else {
    await sql`drop index upgrade_tasks_runnable`.execute(store.db);
    await sql`create index upgrade_tasks_claim on upgrade_tasks (created_at)
      where phase in ('Init', 'Queuing', 'Running')`.execute(store.db);
  }
  await sql`analyze`.execute(store.db);
}

async function bench(dialect: DialectName) {
  const store = await openStore(databaseUrl(dialect));
  try {
    await migrateToLatest(store);
    await fill(store);
    await claimIndexes(store, "before");
    const before = await measure(store, claimBefore);
    await claimIndexes(store, "now");
    const withoutShare = await measure(store, claimWithoutShare);
    const now = await measure(store, claimNow);
    return { before, withoutShare, now };
  } finally {
    await store.close();
  }
}

const dialects = (values.dialect ?? "").split(",") as DialectName[];
const results = new Map<DialectName, Awaited<ReturnType<typeof bench>>>();
for (const dialect of dialects) results.set(dialect, await bench(dialect));

const ms = (value: number) => `${value.toFixed(3)} ms`;
const cell = (timing: Timing | undefined, dialect: DialectName) =>
  timing === undefined
    ? "-"
    : `${ms(timing.median)} / ${ms(timing.p90)}${dialect === "sqlite" ? ` (CPU ${ms(timing.cpuMedian)})` : ""}`;
console.log(`claim of ${LIMIT} among ${WAITING} waiting tasks (2 projects) with ${FINISHED} finished tasks`);
console.log(`${CLAIMS} claims each, each in a transaction rolled back; median / p90 per claim statement\n`);
const rows = [
  ["claim", ...dialects],
  ["before: bound phases, index on lease expiry", ...dialects.map((d) => cell(results.get(d)?.before, d))],
  ["literal phases, partial index on created_at", ...dialects.map((d) => cell(results.get(d)?.withoutShare, d))],
  ["now: the same with the fair-share rule", ...dialects.map((d) => cell(results.get(d)?.now, d))],
];
const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((row) => (row[c] as string).length)));
for (const row of rows) console.log(row.map((text, c) => text.padEnd(widths[c] as number)).join("  "));
