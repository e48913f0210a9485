// CPU time of one successful AK/SK signature check (the authenticator alone, the success path of every signed
// request) beside its floor measured in the same run: the two hashes any verifier computes (sha256 of the canonical
// request, HMAC-SHA256 of the string to sign) with node:crypto; with --before, also another tree (a worktree of an
// older commit). In one process, in alternating batches; CPU time rather than wall time, so that a shared machine
// disturbs it less.
// Usage: npx tsx bench/signature-check.ts [--before <worktree>] [--rounds 40] [--batch 5000]
import { createHash, createHmac } from "node:crypto";
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

/** The floor: the sha256 and the HMAC of a request of the same size, nothing else. */
function rawHashes(): (n: number) => Promise<number> {
  const canonical = `GET\n/api/v3/projects/${PROJECT}/clusters/11111111-2222-4333-8444-555555555555/\n\n${"h".repeat(160)}`;
  return async (n) => {
    const started = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const hash = createHash("sha256").update(canonical).digest("hex");
      createHmac("sha256", SK).update(`SDK-HMAC-SHA256\n20261202T000000Z\n${hash}`).digest("hex");
    }
    const used = process.cpuUsage(started);
    return (used.user + used.system) / n;
  };
}

async function main(): Promise<void> {
  const runs: [string, (n: number) => Promise<number>][] = [
    ["floor: sha256 + HMAC-SHA256 alone", rawHashes()],
    ["this tree", await signatureCheck(HERE)],
  ];
  if (values.before) runs.push([`before (${values.before})`, await signatureCheck(values.before)]);
  const batch = Number(values.batch);
  const results = runs.map((): number[] => []);
  for (let round = 0; round < Number(values.rounds); round++) {
    // Rotating order: no variant always runs first.
    for (let k = 0; k < runs.length; k++) {
      const which = (round + k) % runs.length;
      const [, run] = runs[which] as (typeof runs)[number];
      results[which]?.push(await run(batch));
    }
  }
  const floor = median(results[0] ?? []);
  console.log(`CPU µs per successful signature check, ${values.rounds} rounds × ${batch}`);
  console.log("| variant | median µs | min µs | × floor |\n|---|---|---|---|");
  runs.forEach(([name], index) => {
    const values = results[index] ?? [];
    const row = [name, median(values).toFixed(1), Math.min(...values).toFixed(1), (median(values) / floor).toFixed(1)];
    console.log(`| ${row.join(" | ")} |`);
  });
  process.exit(0);
}

await main();
