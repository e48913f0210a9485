import type { ApiContext } from "../../src/api/context.js";
import { buildServer } from "../../src/api/server.js";
import { UTC } from "../../src/domain/go-time.js";
import { type DialectName, openStore } from "../../src/store/database.js";
import { applySeed } from "../../src/store/seed-file.js";
import { freshStore } from "./databases.js";
import { ManualClock, testSeed } from "./fixtures.js";

/** A server on a fresh seeded database, driven with `inject`. */
export async function testApi(dialect: DialectName = "sqlite", overrides: Partial<ApiContext> = {}) {
  const store = await freshStore(dialect);
  const clock = new ManualClock();
  await applySeed(store, testSeed(), clock);
  const app = await buildServer(
    { store, clock, zone: UTC, bodyLimitBytes: 64 * 1024, tokenTtlMs: 3_600_000, ...overrides },
    { logger: false },
  );
  return {
    app,
    store,
    clock,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

/** Another replica of `api`: its own server and connections on the same database, on the same clock. */
export async function replicaOf(api: Awaited<ReturnType<typeof testApi>>, overrides: Partial<ApiContext> = {}) {
  const store = await openStore(api.store.url);
  const app = await buildServer(
    { store, clock: api.clock, zone: UTC, bodyLimitBytes: 64 * 1024, tokenTtlMs: 3_600_000, ...overrides },
    { logger: false },
  );
  return {
    app,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
