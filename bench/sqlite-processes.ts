// Upgrades per second with one and with two service processes on one SQLite file, through the HTTP API, with
// instant simulated steps. `--baseline <checkout>` runs the same against another checkout of cce-upgrade (its own
// src/main.ts; give it a node_modules) and prints both side by side.
// Usage: npx tsx bench/sqlite-processes.ts [--clusters 200] [--nodes 3] [--baseline /path/to/other/checkout]
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openStore } from "../src/store/database.js";

const { values } = parseArgs({
  options: {
    clusters: { type: "string", default: "200" },
    nodes: { type: "string", default: "3" },
    baseline: { type: "string" },
    "timeout-seconds": { type: "string", default: "180" },
  },
});
const clusters = Number(values.clusters);
const nodes = Number(values.nodes);
const timeoutMs = Number(values["timeout-seconds"]) * 1000;
const PROJECT = "0123456789abcdef0123456789abcdef";
const TOKEN = "bench-token-0123456789";
const clusterId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Service {
  readonly child: ChildProcess;
  readonly address: string;
  output(): string;
}

async function startService(checkout: string, env: Record<string, string>): Promise<Service> {
  const child = spawn(process.execPath, ["--import", "tsx", join(checkout, "src/main.ts")], {
    cwd: checkout,
    env: { ...process.env, PORT: "0", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  for (let waited = 0; ; waited += 50) {
    const match = /listening at (http:\/\/[\d.:]+)/.exec(output);
    if (match?.[1]) return { child, address: match[1], output: () => output };
    if (child.exitCode !== null || waited > 120_000) throw new Error(`service did not start:\n${output}`);
    await sleep(50);
  }
}

function seedFile(dir: string): string {
  const path = join(dir, "seed.json");
  const seed = {
    projects: [
      {
        id: PROJECT,
        name: "bench",
        tokens: [TOKEN],
        clusters: Array.from({ length: clusters }, (_, i) => ({
          id: clusterId(i),
          name: `c${i}`,
          version: "v1.28.15-r30",
          nodePools: [{ id: "DefaultPool", name: "DefaultPool", nodeCount: nodes }],
        })),
      },
    ],
  };
  writeFileSync(path, JSON.stringify(seed));
  return path;
}

interface Run {
  readonly upgradesPerSecond: number;
  readonly finished: number;
  readonly refused: number;
  readonly lockErrors: number;
  readonly takeovers: number;
}

async function takeovers(service: Service): Promise<number> {
  const text = await (await fetch(`${service.address}/metrics`)).text();
  return Number(/^cce_engine_lease_takeovers_total (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Starts `processes` services of `checkout` on one new file, queues one upgrade per cluster, waits for Success. */
async function run(checkout: string, processes: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "cce-bench-sqlite-"));
  const databaseUrl = `sqlite:${join(dir, "cce.db")}`;
  const env = { DATABASE_URL: databaseUrl, SEED_FILE: seedFile(dir), SIM_SPEED: "Infinity", ENGINE_POLL_MS: "20" };
  const services: Service[] = [];
  const store = await openStore(databaseUrl);
  try {
    // One after the other: start-up migrates and seeds, which is not what is measured.
    for (let i = 0; i < processes; i++) services.push(await startService(checkout, env));
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: clusters }, async (_, i) => {
        const service = services[i % processes] as Service;
        const response = await fetch(
          `${service.address}/api/v3/projects/${PROJECT}/clusters/${clusterId(i)}/operation/upgrade`,
          {
            method: "POST",
            headers: { "x-auth-token": TOKEN, "content-type": "application/json" },
            body: JSON.stringify({
              metadata: { apiVersion: "v3", kind: "UpgradeTask" },
              spec: { clusterUpgradeAction: { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } } },
            }),
          },
        );
        await response.arrayBuffer();
        return response.status;
      }),
    );
    const accepted = statuses.filter((status) => status === 200).length;
    let finished = 0;
    while (performance.now() - started < timeoutMs) {
      const row = await store.db
        .selectFrom("upgrade_tasks")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("phase", "=", "Success")
        .executeTakeFirstOrThrow();
      finished = Number(row.n);
      if (finished === accepted) break;
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    const lockErrors = services
      .flatMap((service) => service.output().split("\n"))
      .filter((line) => /database is locked|SQLITE_BUSY/.test(line)).length;
    return {
      upgradesPerSecond: finished / seconds,
      finished,
      refused: clusters - accepted,
      lockErrors,
      takeovers: (await Promise.all(services.map(takeovers))).reduce((sum, n) => sum + n, 0),
    };
  } finally {
    await store.close();
    await Promise.all(
      services.map(async ({ child }) => {
        const exited = once(child, "exit");
        child.kill("SIGKILL");
        await exited;
      }),
    );
  }
}

const checkouts: [string, string][] = [
  ...(values.baseline ? [["before", resolve(values.baseline)] as [string, string]] : []),
  ["after", resolve(import.meta.dirname, "..")],
];
const header = [
  "processes",
  ...checkouts.map(([name]) => `${name}: upgrades/s (done, refused, lock errors, takeovers)`),
];
const rows: string[][] = [];
for (const processes of [1, 2]) {
  const cells = [String(processes)];
  for (const [, checkout] of checkouts) {
    const result = await run(checkout, processes);
    cells.push(
      `${result.upgradesPerSecond.toFixed(1)} (${result.finished}/${clusters}, ${result.refused}, ${result.lockErrors}, ${result.takeovers})`,
    );
  }
  rows.push(cells);
}
console.log(`${clusters} clusters × ${nodes} nodes, SIM_SPEED=Infinity, one SQLite file`);
for (const row of [header, ...rows]) console.log(row.join(" | "));
