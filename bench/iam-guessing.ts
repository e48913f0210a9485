// /healthz latency while 16 connections guess IAM passwords, and what a guess costs for a known and an unknown user.
// Usage: npx tsx bench/iam-guessing.ts [--before <worktree of an older commit>] [--connections 16] [--duration 10]
// Each server is a separate process (bench/iam-server.ts) on its own SQLite database.
import { type ChildProcess, spawn } from "node:child_process";
import { parseArgs } from "node:util";
import autocannon from "autocannon";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    connections: { type: "string", default: "16" },
    duration: { type: "string", default: "10" },
    tries: { type: "string", default: "30" },
  },
});

const SERVER = new URL("./iam-server.ts", import.meta.url).pathname;
const HERE = new URL("..", import.meta.url).pathname;

interface Variant {
  readonly name: string;
  readonly root: string;
  readonly limits: "on" | "off";
}

interface Row {
  readonly name: string;
  readonly idleMs: number;
  readonly guessingMs: number;
  readonly guessingP90Ms: number;
  readonly guessesPerSecond: number;
  readonly throttled: number;
  readonly knownMs: number | undefined;
  readonly unknownMs: number | undefined;
}

async function start(variant: Variant): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", SERVER], {
    cwd: variant.root,
    env: { ...process.env, BENCH_ROOT: variant.root, BENCH_LIMITS: variant.limits },
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

const tokenBody = (name: string, password: string) =>
  JSON.stringify({
    auth: {
      identity: { methods: ["password"], password: { user: { name, password } } },
      scope: { project: { name: "bench" } },
    },
  });

async function timedMs(request: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  await (await request()).arrayBuffer();
  return performance.now() - started;
}

function quantile(values: number[], q: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

/** Sequential GET /healthz until `until` resolves; the latencies in ms. */
async function sampleHealth(address: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.then(() => {
    done = true;
  });
  const samples: number[] = [];
  while (!done) samples.push(await timedMs(() => fetch(`${address}/healthz`)));
  return samples;
}

async function measure(variant: Variant): Promise<Row> {
  const server = await start(variant);
  try {
    const idle = await sampleHealth(server.address, new Promise((resolve) => setTimeout(resolve, 2000)));
    const guessing = autocannon({
      url: `${server.address}/v3/auth/tokens`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: tokenBody("alice", "wrong-password"),
      connections: Number(values.connections),
      duration: Number(values.duration),
    });
    const [load, health] = await Promise.all([guessing, sampleHealth(server.address, guessing)]);
    // With the limits on, sequential guesses from one address would only measure the 429.
    const cost = variant.limits === "off" ? await guessCost(server.address) : undefined;
    return {
      name: variant.name,
      idleMs: quantile(idle, 0.5),
      guessingMs: quantile(health, 0.5),
      guessingP90Ms: quantile(health, 0.9),
      guessesPerSecond: load.requests.average,
      throttled: load.statusCodeStats?.["429"]?.count ?? 0,
      knownMs: cost?.known,
      unknownMs: cost?.unknown,
    };
  } finally {
    server.child.kill("SIGTERM");
  }
}

/** Median time of a wrong password for the known user and for unknown ones, tried in turn. */
async function guessCost(address: string): Promise<{ known: number; unknown: number }> {
  const guess = (name: string) => () =>
    fetch(`${address}/v3/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: tokenBody(name, "wrong-password"),
    });
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < Number(values.tries); i++) {
    known.push(await timedMs(guess("alice")));
    unknown.push(await timedMs(guess(`nobody-${i}`)));
  }
  return { known: quantile(known, 0.5), unknown: quantile(unknown, 0.5) };
}

async function main(): Promise<void> {
  const variants: Variant[] = [
    ...(values.before ? [{ name: "before (given worktree)", root: values.before, limits: "off" as const }] : []),
    { name: "after, limits lifted (scrypt pool only)", root: HERE, limits: "off" },
    { name: "after, default limits", root: HERE, limits: "on" },
  ];
  const rows: Row[] = [];
  for (const variant of variants) rows.push(await measure(variant));
  console.log(`/healthz while ${values.connections} connections guess passwords for ${values.duration} s`);
  const ms = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(1)).padStart(9);
  console.log(
    `${"server".padEnd(42)} ${"idle p50".padStart(9)} ${"load p50".padStart(9)} ${"load p90".padStart(9)} ${"guesses/s".padStart(9)} ${"429s".padStart(7)} ${"known ms".padStart(9)} ${"unknown".padStart(9)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(42)} ${ms(row.idleMs)} ${ms(row.guessingMs)} ${ms(row.guessingP90Ms)} ${row.guessesPerSecond.toFixed(0).padStart(9)} ${String(row.throttled).padStart(7)} ${ms(row.knownMs)} ${ms(row.unknownMs)}`,
    );
  }
}

await main();
