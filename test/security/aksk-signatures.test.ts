import { createHash, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { replicaOf, testApi } from "../support/api.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, PROJECT } from "../support/fixtures.js";
import { type SignedCall, signedInject } from "../support/signed.js";
import { expectCceError } from "../support/wire.js";

const CLUSTER_PATH = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
const DRIVER_PATH = `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/driver`;
const SIMULATOR = JSON.stringify({ type: "simulator" });
/** What an attacker would rather have: every step sent to a webhook of theirs. */
const HIJACK = JSON.stringify({
  type: "hook",
  default: { type: "webhook", url: "https://attacker.example/steps" },
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
});
/** Headers the Node SDK signs, without X-Sdk-Content-Sha256. */
const SDK_SIGNED = ["content-type", "host", "x-project-id", "x-sdk-date"];
const VICTIM_ADDRESS = "198.51.100.10";
const ATTACKER_ADDRESS = "203.0.113.66";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const randomAk = () => `GUESS${randomBytes(6).toString("hex").toUpperCase()}`;

type Api = Awaited<ReturnType<typeof testApi>>;

/** Signs at the server's current time; a failure is a well-formed signature made with the wrong secret key. */
function caller(api: Api, app = api.app) {
  const now = () => new Date(api.clock.nowMicros() / 1000);
  return {
    send: (call: Omit<SignedCall, "date">) => signedInject(app, { ...call, date: now() }),
    valid: (remoteAddress: string) =>
      signedInject(app, { method: "GET", url: CLUSTER_PATH, date: now(), remoteAddress }),
    wrong: (remoteAddress: string, ak?: string) =>
      signedInject(app, {
        method: "GET",
        url: CLUSTER_PATH,
        date: now(),
        remoteAddress,
        sk: `guess-${randomBytes(4).toString("hex")}`,
        ...(ak && { ak }),
      }),
  };
}

async function driverType(api: Api): Promise<string> {
  return (await caller(api).send({ method: "GET", url: DRIVER_PATH })).json().type;
}

describe("X-Sdk-Content-Sha256", () => {
  let api: Api;
  beforeEach(async () => {
    api = await testApi();
  });
  afterEach(async () => api.close());

  const put = (body: string, headers: Record<string, string>, signed: string[], sentBody = body) =>
    caller(api).send({
      method: "PUT",
      url: DRIVER_PATH,
      body,
      headers: { "x-project-id": PROJECT, ...headers },
      signedHeaderNames: signed,
      tamper: (request) => {
        request.body = sentBody;
      },
    });

  it("refuses a body swapped under an unsigned X-Sdk-Content-Sha256 of the old body", async () => {
    const replay = await put(SIMULATOR, { "x-sdk-content-sha256": sha256(SIMULATOR) }, SDK_SIGNED, HIJACK);
    expectCceError(replay, 401, "APIGW.0301");
    expect(await driverType(api)).toBe("simulator");
  });

  it("hashes the body when X-Sdk-Content-Sha256 is not signed, so the honest request still passes", async () => {
    const honest = await put(SIMULATOR, { "x-sdk-content-sha256": sha256(SIMULATOR) }, SDK_SIGNED);
    expect(honest.statusCode).toBe(200);
  });

  it("refuses a signed X-Sdk-Content-Sha256 that is not the hash of the body", async () => {
    const signed = [...SDK_SIGNED, "x-sdk-content-sha256"];
    const response = await put(HIJACK, { "x-sdk-content-sha256": sha256(SIMULATOR) }, signed);
    expectCceError(response, 401, "APIGW.0301");
    expect(await driverType(api)).toBe("simulator");
  });

  it("accepts a signed X-Sdk-Content-Sha256 that is the hash of the body, in either case of hex", async () => {
    const signed = [...SDK_SIGNED, "x-sdk-content-sha256"];
    expect((await put(SIMULATOR, { "x-sdk-content-sha256": sha256(SIMULATOR) }, signed)).statusCode).toBe(200);
    const upper = sha256(SIMULATOR).toUpperCase();
    expect((await put(SIMULATOR, { "x-sdk-content-sha256": upper }, signed)).statusCode).toBe(200);
  });

  it("refuses UNSIGNED-PAYLOAD on a write with a body", async () => {
    const header = { "x-sdk-content-sha256": "UNSIGNED-PAYLOAD" };
    expectCceError(await put(HIJACK, header, [...SDK_SIGNED, "x-sdk-content-sha256"]), 401, "APIGW.0301");
    expect(await driverType(api)).toBe("simulator");
  });

  it("accepts UNSIGNED-PAYLOAD on a read and on a write without a body", async () => {
    const headers = { "x-sdk-content-sha256": "UNSIGNED-PAYLOAD" };
    const signedHeaderNames = ["host", "x-sdk-content-sha256", "x-sdk-date"];
    const read = await caller(api).send({ method: "GET", url: CLUSTER_PATH, headers, signedHeaderNames });
    expect(read.statusCode).toBe(200);
    const bodyless = await caller(api).send({
      method: "POST",
      url: `${CLUSTER_PATH}/operation/upgrade/pause`,
      headers,
      signedHeaderNames,
    });
    // No task to pause: the signature was accepted and the route answered.
    expectCceError(bodyless, 404, "CCE.01404001");
  });
});

describe.each(DIALECTS)("signature failure counters on %s", (dialect) => {
  let api: Api;
  beforeEach(async () => {
    api = await testApi(dialect);
  });
  afterEach(async () => api.close());

  it("lets the owner in after five garbage signatures with its AK from another address", async () => {
    const { valid, wrong } = caller(api);
    for (let i = 0; i < 5; i++) expectCceError(await wrong(ATTACKER_ADDRESS), 401, "APIGW.0301");
    expect((await valid(VICTIM_ADDRESS)).statusCode).toBe(200);
    // The attacker's address is the one locked for that key.
    const locked = expectCceError(await valid(ATTACKER_ADDRESS), 401, "APIGW.0301");
    expect(locked.errorMessage).toContain("limit");
  });

  it("answers an unknown AK and a wrong signature alike, and counts both", async () => {
    const { send } = caller(api);
    const variants: [string, Omit<SignedCall, "date" | "method" | "url">][] = [
      ["as signed", {}],
      ["without a signed header", { tamper: (r) => void delete r.headers["content-type"] }],
      ["with a stale date", { tamper: (r) => Object.assign(r.headers, { "X-Sdk-Date": "20200101T000000Z" }) }],
    ];
    for (const [name, variant] of variants) {
      const unknown = await send({ method: "GET", url: CLUSTER_PATH, ak: randomAk(), sk: "x", ...variant });
      const wrongSk = await send({ method: "GET", url: CLUSTER_PATH, sk: "not-the-secret", ...variant });
      const answer = (r: typeof unknown) => ({ status: r.statusCode, ...r.json(), request_id: undefined });
      expect(answer(unknown), name).toEqual(answer(wrongSk));
    }
    const unknownAk = randomAk();
    for (let i = 0; i < 5; i++) await caller(api).wrong(ATTACKER_ADDRESS, unknownAk);
    const lockedUnknown = await caller(api).wrong(ATTACKER_ADDRESS, unknownAk);
    for (let i = 0; i < 5; i++) await caller(api).wrong(ATTACKER_ADDRESS);
    const lockedKnown = await caller(api).wrong(ATTACKER_ADDRESS);
    expect(lockedUnknown.json().errorMessage).toBe(lockedKnown.json().errorMessage);
    expect(lockedUnknown.json().errorMessage).toContain("limit");
  });

  it("counts only well-formed signatures", async () => {
    for (let i = 0; i < 30; i++) {
      const response = await api.app.inject({
        url: CLUSTER_PATH,
        remoteAddress: ATTACKER_ADDRESS,
        headers: { authorization: `SDK-HMAC-SHA256 Access=TESTAK1234567890, Signature=${i}` },
      });
      expectCceError(response, 401, "APIGW.0301");
    }
    expect((await caller(api).valid(ATTACKER_ADDRESS)).statusCode).toBe(200);
  });

  it("throttles failures from one address, whatever the AK, while another address is unaffected", async () => {
    const { valid, wrong } = caller(api);
    for (let i = 0; i < 20; i++) expectCceError(await wrong(ATTACKER_ADDRESS, randomAk()), 401, "APIGW.0301");
    const throttled = await valid(ATTACKER_ADDRESS);
    expectCceError(throttled, 429, "APIGW.0308");
    const retryAfter = Number(throttled.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(0);

    expect((await valid(VICTIM_ADDRESS)).statusCode).toBe(200);
    expectCceError(await wrong(VICTIM_ADDRESS, randomAk()), 401, "APIGW.0301");

    api.clock.advanceMs(retryAfter * 1000);
    expect((await valid(ATTACKER_ADDRESS)).statusCode).toBe(200);
  });

  it("takes an IPv4 client seen as an IPv4-mapped IPv6 address, and an IPv6 /64, as one address", async () => {
    const { valid, wrong } = caller(api);
    for (let i = 0; i < 10; i++) await wrong("::ffff:203.0.113.66", randomAk());
    for (let i = 0; i < 10; i++) await wrong(ATTACKER_ADDRESS, randomAk());
    expectCceError(await valid(ATTACKER_ADDRESS), 429, "APIGW.0308");
    for (let i = 0; i < 20; i++) await wrong(`2001:db8:1:2::${i + 1}`, randomAk());
    expectCceError(await valid("2001:db8:1:2:ffff::1"), 429, "APIGW.0308");
    expect((await valid("2001:db8:1:3::1")).statusCode).toBe(200);
  });

  it("shares the counters between two servers on one database", async () => {
    const replica = await replicaOf(api);
    try {
      const [one, two] = [caller(api), caller(api, replica.app)];
      for (let i = 0; i < 3; i++) await one.wrong(ATTACKER_ADDRESS);
      for (let i = 0; i < 2; i++) await two.wrong(ATTACKER_ADDRESS);
      for (const server of [one, two]) {
        const locked = expectCceError(await server.valid(ATTACKER_ADDRESS), 401, "APIGW.0301");
        expect(locked.errorMessage).toContain("limit");
      }
      expect((await two.valid(VICTIM_ADDRESS)).statusCode).toBe(200);

      for (let i = 0; i < 10; i++) await one.wrong(VICTIM_ADDRESS, randomAk());
      for (let i = 0; i < 10; i++) await two.wrong(VICTIM_ADDRESS, randomAk());
      // Twenty failures in all: the second server saw the twentieth, the first learns it with its next failure.
      expectCceError(await two.valid(VICTIM_ADDRESS), 429, "APIGW.0308");
      expectCceError(await one.wrong(VICTIM_ADDRESS, randomAk()), 401, "APIGW.0301");
      expectCceError(await one.valid(VICTIM_ADDRESS), 429, "APIGW.0308");

      api.clock.advanceMs(60_000);
      expect((await one.valid(ATTACKER_ADDRESS)).statusCode).toBe(200);
      expect((await two.valid(VICTIM_ADDRESS)).statusCode).toBe(200);
    } finally {
      await replica.close();
    }
  });
});
