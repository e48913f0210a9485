import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { replicaOf, testApi } from "../support/api.js";
import { DIALECTS } from "../support/databases.js";
import { PROJECT } from "../support/fixtures.js";
import { expectCceError } from "../support/wire.js";

type Api = Awaited<ReturnType<typeof testApi>>;
type App = Api["app"];

const GUESSER = "203.0.113.66";
const OTHER_ADDRESS = "198.51.100.10";

function tokenRequest(app: App, name: string, password: string, remoteAddress = GUESSER) {
  return app.inject({
    method: "POST",
    url: "/v3/auth/tokens",
    remoteAddress,
    payload: {
      auth: {
        identity: { methods: ["password"], password: { user: { name, password } } },
        scope: { project: { id: PROJECT } },
      },
    },
  });
}

/** A retry-after in whole seconds, as the answer gives it. */
function retryAfterMs(response: Awaited<ReturnType<typeof tokenRequest>>): number {
  const seconds = Number(response.headers["retry-after"]);
  expect(seconds).toBeGreaterThan(0);
  return seconds * 1000;
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe("password cost", () => {
  let api: Api;
  beforeEach(async () => {
    // Limits out of the way: this measures the cost of one attempt, not the backoff.
    const unlimited = { lockAfterFailures: 1e9, firstLockMs: 1, maxLockMs: 1, forgetAfterMs: 1 };
    api = await testApi("sqlite", {
      authLimits: { failures: { "password-user": unlimited, "password-address": unlimited } },
    });
  });
  afterEach(async () => api.close());

  it("makes an unknown user cost as much as a known one with a wrong password", async () => {
    const timed = async (name: string) => {
      const started = performance.now();
      expectCceError(await tokenRequest(api.app, name, "wrong-password"), 401, "APIGW.0301");
      return performance.now() - started;
    };
    await timed("alice");
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 15; i++) {
      known.push(await timed("alice"));
      unknown.push(await timed(`nobody-${i}`));
    }
    const ratio = median(unknown) / median(known);
    expect(ratio, `unknown ${median(unknown).toFixed(1)} ms, known ${median(known).toFixed(1)} ms`).toBeGreaterThan(
      0.5,
    );
    expect(ratio).toBeLessThan(2);
  });
});

describe.each(DIALECTS)("password guessing on %s", (dialect) => {
  let api: Api;
  beforeEach(async () => {
    api = await testApi(dialect);
  });
  afterEach(async () => api.close());

  it("answers 429 APIGW.0308 after five wrong passwords, with a growing backoff; the right one works after it", async () => {
    for (let i = 0; i < 5; i++) expectCceError(await tokenRequest(api.app, "alice", `guess-${i}`), 401, "APIGW.0301");
    const throttled = await tokenRequest(api.app, "alice", "alice-password");
    expectCceError(throttled, 429, "APIGW.0308");
    const firstBackoff = retryAfterMs(throttled);

    api.clock.advanceMs(firstBackoff);
    expectCceError(await tokenRequest(api.app, "alice", "guess-5"), 401, "APIGW.0301");
    const again = await tokenRequest(api.app, "alice", "alice-password");
    expectCceError(again, 429, "APIGW.0308");
    expect(retryAfterMs(again)).toBeGreaterThan(firstBackoff);

    api.clock.advanceMs(retryAfterMs(again));
    expect((await tokenRequest(api.app, "alice", "alice-password")).statusCode).toBe(201);
    // A success clears the user's count: the next typo is not punished at once.
    expectCceError(await tokenRequest(api.app, "alice", "typo"), 401, "APIGW.0301");
    expect((await tokenRequest(api.app, "alice", "alice-password")).statusCode).toBe(201);
  });

  it("limits a user's guesses from every address, and an unknown user's the same way", async () => {
    for (const name of ["alice", "mallory"]) {
      for (let i = 0; i < 5; i++) {
        expectCceError(await tokenRequest(api.app, name, `guess-${i}`, `192.0.2.${i + 1}`), 401, "APIGW.0301");
      }
      expectCceError(await tokenRequest(api.app, name, "guess", OTHER_ADDRESS), 429, "APIGW.0308");
    }
  });

  it("limits guesses from one address across users, while another address is unaffected", async () => {
    for (let i = 0; i < 20; i++) expectCceError(await tokenRequest(api.app, `user-${i}`, "guess"), 401, "APIGW.0301");
    expectCceError(await tokenRequest(api.app, "alice", "alice-password"), 429, "APIGW.0308");
    expect((await tokenRequest(api.app, "alice", "alice-password", OTHER_ADDRESS)).statusCode).toBe(201);
  });

  it("shares the counts between two servers on one database", async () => {
    const replica = await replicaOf(api);
    try {
      for (let i = 0; i < 3; i++) await tokenRequest(api.app, "alice", `guess-${i}`);
      for (let i = 0; i < 2; i++) await tokenRequest(replica.app, "alice", `guess-${i}`);
      const throttled = await tokenRequest(api.app, "alice", "alice-password");
      expectCceError(throttled, 429, "APIGW.0308");
      expectCceError(await tokenRequest(replica.app, "alice", "alice-password"), 429, "APIGW.0308");
      api.clock.advanceMs(retryAfterMs(throttled));
      expect((await tokenRequest(replica.app, "alice", "alice-password")).statusCode).toBe(201);
    } finally {
      await replica.close();
    }
  });
});

describe("request rate", () => {
  let api: Api;
  beforeEach(async () => {
    api = await testApi();
  });
  afterEach(async () => api.close());

  it("answers 429 APIGW.0308 once one address sends more than 60 requests a minute", async () => {
    const malformed = () =>
      api.app.inject({ method: "POST", url: "/v3/auth/tokens", remoteAddress: GUESSER, payload: { auth: {} } });
    for (let i = 0; i < 60; i++) expectCceError(await malformed(), 400, "CCE.01400001");
    const limited = await malformed();
    expectCceError(limited, 429, "APIGW.0308");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    const elsewhere = await api.app.inject({
      method: "POST",
      url: "/v3/auth/tokens",
      remoteAddress: OTHER_ADDRESS,
      payload: { auth: {} },
    });
    expectCceError(elsewhere, 400, "CCE.01400001");
  });
});
