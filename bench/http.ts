// GET …/upgrade/tasks/{task_id} under load, beside a bare node:http server returning the same bytes (the limit) and
// Fastify alone returning the same bytes and headers (the framework's floor).
// Usage: npm run bench:http -- [--connections 50] [--duration 10]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { signRequest } from "../src/domain/signing/sdk-hmac-sha256.js";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "50" },
    duration: { type: "string", default: "10" },
    postgres: { type: "string", default: process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
  },
});

const PROJECT = "0123456789abcdef0123456789abcdef";
const CLUSTER = "11111111-2222-4333-8444-555555555555";
const TOKEN = "bench-token-0123456789";
const AK = "BENCHAK000000001";
const SK = "bench-secret-key";

function seedFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), "cce-bench-http-")), "seed.json");
  const cluster = {
    id: CLUSTER,
    name: "bench",
    version: "v1.28.15-r30",
    nodePools: [{ id: "DefaultPool", name: "DefaultPool", nodeCount: 3 }],
  };
  writeFileSync(
    path,
    JSON.stringify({
      projects: [
        { id: PROJECT, name: "bench", tokens: [TOKEN], accessKeys: [{ ak: AK, sk: SK }], clusters: [cluster] },
      ],
    }),
  );
  return path;
}

async function start(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      const match = /listening at (http:\/\/[\d.:]+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return { child, address };
}

function startService(databaseUrl: string) {
  return start(["--import", "tsx", "src/main.ts"], {
    PORT: "0",
    DATABASE_URL: databaseUrl,
    SEED_FILE: seedFile(),
    ENGINE: "off",
    LOG_LEVEL: "warn",
  });
}

/** Starts an upgrade so there is a task to read; returns its URL path. */
async function createTask(address: string): Promise<string> {
  const cluster = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
  const response = await fetch(`${address}${cluster}/operation/upgrade`, {
    method: "POST",
    headers: { "x-auth-token": TOKEN, "content-type": "application/json" },
    body: JSON.stringify({
      metadata: { apiVersion: "v3", kind: "UpgradeTask" },
      spec: { clusterUpgradeAction: { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } } },
    }),
  });
  const { uid } = (await response.json()) as { uid: string };
  return `${cluster}/operation/upgrade/tasks/${uid}`;
}

/** Headers the connection and the body's length set, not the service. */
const TRANSPORT_HEADERS = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

interface Answer {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** The task's body and the service's own response headers, for the servers that imitate it. */
async function serviceAnswer(address: string, path: string): Promise<Answer> {
  const response = await fetch(`${address}${path}`, { headers: { "x-auth-token": TOKEN } });
  const headers = Object.fromEntries([...response.headers].filter(([name]) => !TRANSPORT_HEADERS.has(name)));
  return { body: await response.text(), headers };
}

/** bench/fastify-floor.ts answering as the service did; with `hooks: "service"`, through the service's hooks. */
function startFastifyFloor(answer: Answer, hooks: "none" | "service") {
  return start(["--import", "tsx", "bench/fastify-floor.ts"], {
    FLOOR_BODY: answer.body,
    FLOOR_HEADERS: JSON.stringify(answer.headers),
    FLOOR_HOOKS: hooks,
  });
}

/** Headers of one SDK-style signed GET; a signature stays valid for 15 minutes, so it is replayed. */
function signedHeaders(address: string, path: string): Record<string, string> {
  const headers = { "content-type": "application/json", host: new URL(address).host, "x-project-id": PROJECT };
  return {
    ...headers,
    ...signRequest({ method: "GET", url: path, headers, body: "", ak: AK, sk: SK, date: new Date() }),
  };
}

interface Row {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** The server process's own CPU time per request: steadier than req/s when the load generator shares the cores. */
  readonly serverCpuUs: number;
  /** The part of it in user mode: the JavaScript's own, less moved by how often a write has to wake autocannon. */
  readonly serverUserUs: number;
}

/** A process's user and system CPU time so far, in µs (Linux `/proc`, clock ticks of 10 ms). */
function cpuMicros(pid: number | undefined): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return { user: Number(fields[11]) * 10_000, system: Number(fields[12]) * 10_000 };
}

async function load(name: string, server: ChildProcess, url: string, headers: Record<string, string>): Promise<Row> {
  const cpuBefore = cpuMicros(server.pid);
  const result = await autocannon({
    url,
    headers,
    connections: Number(values.connections),
    duration: Number(values.duration),
  });
  const cpuAfter = cpuMicros(server.pid);
  const requests = Math.max(1, result.requests.total);
  return {
    name,
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
    serverCpuUs: (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / requests,
    serverUserUs: (cpuAfter.user - cpuBefore.user) / requests,
  };
}

async function main(): Promise<void> {
  const sqlite = await startService(`sqlite:${join(mkdtempSync(join(tmpdir(), "cce-bench-http-")), "db")}`);
  const pgUrl = new URL(values.postgres);
  pgUrl.searchParams.set("schema", `bench_http_${Date.now()}`);
  const postgres = await startService(pgUrl.toString());
  const sqlitePath = await createTask(sqlite.address);
  const pgPath = await createTask(postgres.address);
  const answer = await serviceAnswer(sqlite.address, sqlitePath);
  const bytes = answer.body;
  const bare = await start(["--import", "tsx", "bench/bare-server.ts"], { BARE_BODY: bytes });
  const fastify = await startFastifyFloor(answer, "none");
  const fastifyHooks = await startFastifyFloor(answer, "service");

  const rows: Row[] = [];
  try {
    rows.push(await load("(a) bare node:http, same bytes", bare.child, `${bare.address}/`, {}));
    const token = { "x-auth-token": TOKEN };
    rows.push(await load("(b) token, SQLite", sqlite.child, `${sqlite.address}${sqlitePath}`, token));
    const signed = signedHeaders(sqlite.address, sqlitePath);
    rows.push(await load("(c) AK/SK signature, SQLite", sqlite.child, `${sqlite.address}${sqlitePath}`, signed));
    rows.push(await load("(d) token, PostgreSQL", postgres.child, `${postgres.address}${pgPath}`, token));
    rows.push(await load("(e) Fastify, same bytes + headers", fastify.child, `${fastify.address}${sqlitePath}`, {}));
    const hooks = "(f) (e) + our header/id hooks";
    rows.push(await load(hooks, fastifyHooks.child, `${fastifyHooks.address}${sqlitePath}`, {}));
  } finally {
    for (const server of [sqlite, postgres, bare, fastify, fastifyHooks]) server.child.kill("SIGTERM");
  }
  const limit = rows[0]?.requestsPerSecond ?? 1;
  const floor = rows[0]?.serverCpuUs ?? 1;
  console.log(
    `GET …/upgrade/tasks/{task_id}, ${values.connections} connections, ${values.duration} s each, body ${bytes.length} bytes`,
  );
  console.log(
    `${"server".padEnd(34)} ${"req/s".padStart(9)} ${"p99 ms".padStart(7)} ${"ratio".padStart(6)} ${"errors".padStart(7)} ${"server CPU µs/req".padStart(18)} ${"× bare".padStart(7)} ${"user µs/req".padStart(12)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(34)} ${row.requestsPerSecond.toFixed(0).padStart(9)} ${String(row.p99Ms).padStart(7)} ${(row.requestsPerSecond / limit).toFixed(2).padStart(6)} ${String(row.errors).padStart(7)} ${row.serverCpuUs.toFixed(1).padStart(18)} ${(row.serverCpuUs / floor).toFixed(2).padStart(7)} ${row.serverUserUs.toFixed(1).padStart(12)}`,
    );
  }
}

await main();
