import { afterEach, describe, expect, it } from "vitest";
import { buildServer } from "../../src/api/server.js";
import { systemClock } from "../../src/domain/clock.js";
import { UTC } from "../../src/domain/go-time.js";
import { applySeed, type SeedFile } from "../../src/store/seed-file.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import { CLUSTER, PROJECT, TOKEN, testSeed } from "../support/fixtures.js";
import { expectCceError } from "../support/wire.js";

const FAULTS = `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/faults`;
const stall = (extra: Record<string, unknown> = {}) => ({
  step: "master",
  times: 1,
  error: "Held",
  mode: "stall",
  ...extra,
});

describe.each(DIALECTS)("operator caps on tenant faults on %s", (dialect) => {
  let close: () => Promise<void> = async () => undefined;
  afterEach(async () => close());

  /** The API on a fresh database; `faultMaxStallSeconds` as main.ts passes FAULT_MAX_STALL_SECONDS. */
  async function api(options: { faultMaxStallSeconds?: number; seed?: SeedFile } = {}) {
    const store = await freshStore(dialect);
    const clock = systemClock();
    await applySeed(store, options.seed ?? testSeed(), clock);
    const app = await buildServer(
      {
        store,
        clock,
        zone: UTC,
        bodyLimitBytes: 1 << 20,
        tokenTtlMs: 3_600_000,
        ...(options.faultMaxStallSeconds !== undefined && { faultMaxStallSeconds: options.faultMaxStallSeconds }),
      },
      { logger: false },
    );
    close = async () => {
      await app.close();
      await store.close();
    };
    const headers = { "x-auth-token": TOKEN };
    return {
      post: (payload: object) => app.inject({ method: "POST", url: FAULTS, headers, payload }),
      list: async () => (await app.inject({ method: "GET", url: FAULTS, headers })).json().items,
    };
  }

  it("refuses a stall longer than the operator's cap with a 400 naming stallSeconds, and stores nothing", async () => {
    const { post, list } = await api({ faultMaxStallSeconds: 60 });
    const body = expectCceError(await post(stall({ stallSeconds: 61 })), 400, "CCE.01400001");
    expect(body.errorMessage).toContain("stallSeconds");
    expectCceError(await post({ ...stall({ stallSeconds: 3600 }), mode: "fail" }), 400, "CCE.01400001");
    expect(await list()).toEqual([]);

    const accepted = await post(stall({ stallSeconds: 60 }));
    expect(accepted.statusCode).toBe(201);
    expect(accepted.json().stallSeconds).toBe(60);
  });

  it("lets a stall without stallSeconds last the cap when the cap is below the default hour", async () => {
    const { post } = await api({ faultMaxStallSeconds: 60 });
    const created = await post(stall());
    expect(created.statusCode).toBe(201);
    expect(created.json().stallSeconds).toBe(60);
  });

  it("caps at 600 seconds when the operator sets nothing", async () => {
    const { post } = await api();
    expectCceError(await post(stall({ stallSeconds: 601 })), 400, "CCE.01400001");
    expect((await post(stall({ stallSeconds: 600 }))).statusCode).toBe(201);
    expect((await post(stall())).json().stallSeconds).toBe(600);
  });

  it("leaves the seed's faults, the operator's own, as the seed says", async () => {
    const seed = testSeed();
    const cluster = seed.projects[0]?.clusters?.[0];
    if (!cluster) throw new Error("the test seed has a cluster");
    Object.assign(cluster, { faults: [stall({ stallSeconds: 7200 })] });
    const { list } = await api({ faultMaxStallSeconds: 60, seed });
    expect((await list()).map((fault: { stallSeconds: number }) => fault.stallSeconds)).toEqual([7200]);
  });
});
