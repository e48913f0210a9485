// The server bench/iam-guessing.ts measures, built from the source tree at BENCH_ROOT: this checkout, or a worktree
// of an older commit (whose buildServer ignores the limits). BENCH_LIMITS=off lifts the guessing limits, so every
// guess reaches scrypt. Prints "listening at <url>" like the service.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = process.env.BENCH_ROOT ?? process.cwd();
const { buildServer } = await import(`${root}/src/api/server.ts`);
const { openStore } = await import(`${root}/src/store/database.ts`);
const { migrateToLatest } = await import(`${root}/src/store/migrate.ts`);
const { applySeed } = await import(`${root}/src/store/seed-file.ts`);
const { systemClock } = await import(`${root}/src/domain/clock.ts`);
const { UTC } = await import(`${root}/src/domain/go-time.ts`);

const off = { lockAfterFailures: 1e9, firstLockMs: 1, maxLockMs: 1, forgetAfterMs: 1 };
const authLimits =
  process.env.BENCH_LIMITS === "off"
    ? { failures: { "password-user": off, "password-address": off }, tokenRequestsPerMinute: 1e9 }
    : undefined;

const store = await openStore(`sqlite:${join(mkdtempSync(join(tmpdir(), "cce-bench-iam-")), "db")}`);
await migrateToLatest(store);
const clock = systemClock();
await applySeed(
  store,
  {
    projects: [
      {
        id: "0123456789abcdef0123456789abcdef",
        name: "bench",
        users: [{ name: "alice", password: "alice-password" }],
        clusters: [],
      },
    ],
  },
  clock,
);
const app = await buildServer(
  { store, clock, zone: UTC, bodyLimitBytes: 1 << 20, tokenTtlMs: 3_600_000, ...(authLimits && { authLimits }) },
  { logger: false },
);
process.stdout.write(`listening at ${await app.listen({ port: 0, host: "127.0.0.1" })}\n`);
