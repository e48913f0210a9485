// CPU time of one successful AK/SK signature check (the authenticator alone, the success path of every signed
// request), for this tree and another one (a worktree of an older commit), in one process, in alternating batches.
// CPU time of this process rather than wall time, so that a shared machine disturbs it less.
// Usage: npx tsx bench/signature-check.ts --before <worktree> [--rounds 40] [--batch 5000]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    rounds: { type: "string", default: "40" },
    batch: { type: "string", default: "5000" },
  },
});

const PROJECT = "0123456789abcdef0123456789abcdef";
const AK = "BENCHAK000000001";
const SK = "bench-secret-key";
const HERE = new URL("..", import.meta.url).pathname;

/** Runs `n` checks of one SDK-style signed GET through `root`'s authenticator; CPU µs per check. */
async function signatureCheck(root: string): Promise<(n: number) => Promise<number>> {
  const { credentialAuthenticator } = await import(`${root}/src/api/authentication.ts`);
  const { openStore } = await import(`${root}/src/store/database.ts`);
  const { migrateToLatest } = await import(`${root}/src/store/migrate.ts`);
  const { applySeed } = await import(`${root}/src/store/seed-file.ts`);
  const { systemClock } = await import(`${root}/src/domain/clock.ts`);
  const { signRequest } = await import(`${root}/src/domain/signing/sdk-hmac-sha256.ts`);
  const store = await openStore(`sqlite:${join(mkdtempSync(join(tmpdir(), "cce-bench-signature-")), "db")}`);
  await migrateToLatest(store);
  const clock = systemClock();
  const seed = { projects: [{ id: PROJECT, name: "bench", accessKeys: [{ ak: AK, sk: SK }], clusters: [] }] };
  await applySeed(store, seed, clock);
  const authenticator = credentialAuthenticator(store, clock);
  const url = `/api/v3/projects/${PROJECT}/clusters/11111111-2222-4333-8444-555555555555`;
  const headers = { "content-type": "application/json", host: "localhost:80", "x-project-id": PROJECT };
  const signature = signRequest({ method: "GET", url, headers, body: "", ak: AK, sk: SK, date: new Date() });
  const received = Object.entries({ ...headers, ...signature }).map(([name, value]) => [name.toLowerCase(), value]);
  // What the authenticator reads of a Fastify request without a body.
  const request = {
    method: "GET",
    headers: Object.fromEntries(received),
    raw: { url, readableEnded: true },
    ip: "127.0.0.1",
    params: {},
  };
  if ((await authenticator.authenticate(request)).projectId !== PROJECT) throw new Error(`${root}: not accepted`);
  return async (n) => {
    const started = process.cpuUsage();
    for (let i = 0; i < n; i++) await authenticator.authenticate(request);
    const used = process.cpuUsage(started);
    return (used.user + used.system) / n;
  };
}

function median(values: number[]): number {
  return values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  if (!values.before) throw new Error("--before <worktree> is required");
  const before = await signatureCheck(values.before);
  const after = await signatureCheck(HERE);
  const batch = Number(values.batch);
  const [beforeUs, afterUs]: [number[], number[]] = [[], []];
  for (let round = 0; round < Number(values.rounds); round++) {
    // ABBA: neither tree always runs second.
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) (which === 0 ? beforeUs : afterUs).push(await (which === 0 ? before : after)(batch));
  }
  console.log(`CPU µs per successful signature check, ${values.rounds} rounds × ${batch}`);
  console.log(
    `before (${values.before}): median ${median(beforeUs).toFixed(1)}, min ${Math.min(...beforeUs).toFixed(1)}`,
  );
  console.log(`after (this tree):  median ${median(afterUs).toFixed(1)}, min ${Math.min(...afterUs).toFixed(1)}`);
  process.exit(0);
}

await main();
