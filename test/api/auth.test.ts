import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testApi } from "../support/api.js";
import {
  CLUSTER,
  OTHER_AK,
  OTHER_CLUSTER,
  OTHER_PROJECT,
  OTHER_SK,
  PROJECT,
  STS_AK,
  STS_SK,
  STS_TOKEN,
  upgradeBody,
} from "../support/fixtures.js";
import { signedInject } from "../support/signed.js";
import { expectCceError } from "../support/wire.js";

const CLUSTER_PATH = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
const UPGRADE_BODY = JSON.stringify(upgradeBody("v1.29"));

/** Every CCE-side route of this service, with a body where it takes one. */
const ROUTES = [
  { method: "GET", url: `/api/v3/projects/${PROJECT}/clusters` },
  { method: "GET", url: CLUSTER_PATH },
  { method: "POST", url: `${CLUSTER_PATH}/operation/upgrade`, body: UPGRADE_BODY },
  { method: "GET", url: `${CLUSTER_PATH}/operation/upgrade/tasks` },
  { method: "GET", url: `${CLUSTER_PATH}/operation/upgrade/tasks/00000000-0000-4000-8000-000000000000` },
  { method: "POST", url: `${CLUSTER_PATH}/operation/upgrade/pause` },
  { method: "POST", url: `${CLUSTER_PATH}/operation/upgrade/continue` },
  { method: "POST", url: `${CLUSTER_PATH}/operation/upgrade/retry` },
  { method: "GET", url: `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/faults` },
] as const;

describe("AK/SK signatures", () => {
  let api: Awaited<ReturnType<typeof testApi>>;
  beforeEach(async () => {
    api = await testApi();
  });
  afterEach(async () => api.close());

  const now = () => new Date(api.clock.nowMicros() / 1000);

  it.each(ROUTES)("$method $url accepts a valid signature", async (route) => {
    const response = await signedInject(api.app, { ...route, date: now() });
    expect([401, 403]).not.toContain(response.statusCode);
  });

  it.each(ROUTES)("$method $url refuses another project's valid signature with 403", async (route) => {
    const response = await signedInject(api.app, { ...route, ak: OTHER_AK, sk: OTHER_SK, date: now() });
    expectCceError(response, 403, "APIGW.0302");
  });

  it("accepts a GET carrying a signed {} body, as the cce 3.0.57 SDK sends", async () => {
    const response = await signedInject(api.app, {
      method: "GET",
      url: `${CLUSTER_PATH}?detail=true`,
      body: "{}",
      date: now(),
    });
    expect(response.statusCode).toBe(200);
  });

  it("accepts terraform's transport: accept, content-type, user-agent and x-sdk-date signed, host not, body ending in a newline", async () => {
    const response = await signedInject(api.app, {
      method: "POST",
      url: `${CLUSTER_PATH}/operation/upgrade`,
      body: `${UPGRADE_BODY}\n`,
      date: now(),
      headers: { accept: "application/json", "user-agent": "terraform golangsdk/2.0.0", "x-project-id": PROJECT },
      signedHeaderNames: ["accept", "content-type", "user-agent", "x-sdk-date"],
    });
    expect(response.statusCode).toBe(200);
  });

  const failures: [string, Parameters<typeof signedInject>[1]["tamper"] | undefined, object][] = [
    [
      "a tampered path",
      (r) => {
        r.url = r.url.replace(CLUSTER, "22222222-3333-4444-8555-666666666666");
      },
      {},
    ],
    [
      "a tampered query",
      (r) => {
        r.url = `${r.url}?detail=false`;
      },
      {},
    ],
    [
      "a tampered signed header",
      (r) => {
        r.headers["content-type"] = "application/json;charset=utf-8";
      },
      {},
    ],
    [
      "a tampered body",
      (r) => {
        r.body = UPGRADE_BODY.replace("v1.29", "v1.30");
      },
      {},
    ],
    ["a removed signed header", (r) => void delete r.headers["x-project-id"], {}],
    ["a wrong secret key", undefined, { sk: "not-the-secret" }],
    ["an unknown access key", undefined, { ak: "NOSUCHAK", sk: "whatever" }],
    ["a date 16 minutes old", undefined, { date: "16 minutes ago" }],
  ];
  it.each(failures)("refuses %s with 401 APIGW.0301", async (_, tamper, overrides) => {
    const date = (overrides as { date?: string }).date ? new Date(now().getTime() - 16 * 60_000) : now();
    const response = await signedInject(api.app, {
      method: "POST",
      url: `${CLUSTER_PATH}/operation/upgrade`,
      body: UPGRADE_BODY,
      headers: { "x-project-id": PROJECT },
      ...overrides,
      date,
      ...(tamper && { tamper }),
    });
    const body = expectCceError(response, 401, "APIGW.0301");
    expect(body.errorMessage).toMatch(/^Incorrect IAM authentication information: /);
    expect(body.errorMessage).not.toMatch(/[0-9a-f]{64}/);
    expect(await api.store.db.selectFrom("upgrade_tasks").select("id").execute()).toEqual([]);
  });

  it("refuses an X-Project-Id naming another project", async () => {
    const response = await signedInject(api.app, {
      method: "GET",
      url: CLUSTER_PATH,
      date: now(),
      headers: { "x-project-id": OTHER_PROJECT },
    });
    expectCceError(response, 403, "APIGW.0302");
  });

  it("accepts temporary credentials only with their security token", async () => {
    const sts = { method: "GET", url: CLUSTER_PATH, ak: STS_AK, sk: STS_SK, date: now() } as const;
    expect((await signedInject(api.app, { ...sts, headers: { "x-security-token": STS_TOKEN } })).statusCode).toBe(200);
    expectCceError(await signedInject(api.app, sts), 401, "APIGW.0301");
    expectCceError(
      await signedInject(api.app, { ...sts, headers: { "x-security-token": "forged" } }),
      401,
      "APIGW.0301",
    );
  });

  it("locks an access key after five failed signatures in a row, and unlocks it after a minute", async () => {
    const call = { method: "GET", url: CLUSTER_PATH } as const;
    for (let i = 0; i < 5; i++)
      expectCceError(await signedInject(api.app, { ...call, sk: "wrong", date: now() }), 401, "APIGW.0301");
    const locked = expectCceError(await signedInject(api.app, { ...call, date: now() }), 401, "APIGW.0301");
    expect(locked.errorMessage).toContain("limit");
    api.clock.advanceMs(60_001);
    expect((await signedInject(api.app, { ...call, date: now() })).statusCode).toBe(200);
  });

  it("accepts every correctly signed request and refuses it once any signed byte changes (property)", async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9\-_.~%*!' ()é]{1,12}$/).map(encodeURIComponent);
    const query = fc.array(fc.tuple(fc.stringMatching(/^[a-zA-Z]{1,6}$/), fc.string({ maxLength: 8 })), {
      maxLength: 3,
    });
    const body = fc.oneof(
      fc.constant(""),
      fc.json({ maxDepth: 2 }),
      fc.string({ maxLength: 40 }).map((s) => `${s}\n`),
    );
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(segment, query, body, fc.nat(), async (seg, pairs, payload, flip) => {
        const search = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
        const url = `/ext/v1/projects/${PROJECT}/clusters/${seg}/faults${search ? `?${search}` : ""}`;
        // Each run from its own address: the tampered requests are wrong signatures, which an address may send
        // only so many of.
        const remoteAddress = `10.0.${tried >> 9}.${(tried >> 1) & 255}`;
        const call = { method: "GET" as const, url, body: payload, date: now(), remoteAddress };
        const accepted = await signedInject(api.app, call);
        expect(accepted.statusCode).not.toBe(401);
        const flipped = await signedInject(api.app, {
          ...call,
          tamper: (r) => {
            const bytes = Buffer.from(`${r.url}|${r.body}`);
            const at = flip % bytes.length;
            const target = bytes[at] === 0x41 ? 0x42 : 0x41;
            if (at < Buffer.byteLength(r.url)) r.url = flipByte(r.url, at, target);
            else r.body = flipByte(String(r.body), at - Buffer.byteLength(r.url) - 1, target);
          },
        });
        tried += 2;
        if (flipped.statusCode !== 401 && flipped.statusCode !== 400 && flipped.statusCode !== 404) {
          throw new Error(`tampered request got ${flipped.statusCode}`);
        }
      }),
      { numRuns: 150 },
    );
    expect(tried).toBe(300);
  });
});

/** Replaces one byte of a string's UTF-8 form (the separator byte between URL and body is skipped). */
function flipByte(text: string, at: number, value: number): string {
  const bytes = Buffer.from(text);
  if (at < 0 || at >= bytes.length) return `${text}A`;
  bytes[at] = value;
  return bytes.toString("latin1");
}

describe("IAM tokens", () => {
  let api: Awaited<ReturnType<typeof testApi>>;
  beforeEach(async () => {
    api = await testApi();
  });
  afterEach(async () => api.close());

  const requestToken = (name: string, password: string, project: object) =>
    api.app.inject({
      method: "POST",
      url: "/v3/auth/tokens",
      payload: {
        auth: {
          identity: { methods: ["password"], password: { user: { name, password, domain: { name: "any" } } } },
          scope: { project },
        },
      },
    });

  it("issues a project-scoped token in X-Subject-Token that works until it expires", async () => {
    const response = await requestToken("alice", "alice-password", { id: PROJECT });
    expect(response.statusCode).toBe(201);
    const token = response.headers["x-subject-token"] as string;
    expect(token).toMatch(/^MII/);
    expect(response.json().token).toMatchObject({ methods: ["password"], project: { id: PROJECT, name: "one" } });
    expect(Date.parse(response.json().token.expires_at) - api.clock.nowMicros() / 1000).toBe(3_600_000);

    expect((await api.app.inject({ url: CLUSTER_PATH, headers: { "x-auth-token": token } })).statusCode).toBe(200);
    const other = await api.app.inject({
      url: `/api/v3/projects/${OTHER_PROJECT}/clusters/${OTHER_CLUSTER}`,
      headers: { "x-auth-token": token },
    });
    expectCceError(other, 403, "APIGW.0302");
    api.clock.advanceMs(3_600_000);
    const expired = expectCceError(
      await api.app.inject({ url: CLUSTER_PATH, headers: { "x-auth-token": token } }),
      401,
      "APIGW.0301",
    );
    expect(expired.errorMessage).toContain("token expires");
  });

  it("scopes by project name too", async () => {
    expect((await requestToken("alice", "alice-password", { name: "one" })).statusCode).toBe(201);
  });

  it.each([
    ["a wrong password", "alice", "nope", { id: PROJECT }],
    ["an unknown user", "mallory", "alice-password", { id: PROJECT }],
    ["another user's project", "alice", "alice-password", { id: OTHER_PROJECT }],
  ])("refuses %s with 401", async (_, name, password, project) => {
    expectCceError(await requestToken(name, password, project), 401, "APIGW.0301");
  });

  it("answers 400 naming the field for a malformed request", async () => {
    const response = await api.app.inject({
      method: "POST",
      url: "/v3/auth/tokens",
      payload: { auth: { identity: {}, scope: { project: {} } } },
    });
    expect(expectCceError(response, 400, "CCE.01400001").errorMessage).toContain("auth.identity.methods");
  });
});
