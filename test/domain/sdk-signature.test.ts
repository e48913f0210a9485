import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  encodeRfc3986,
  formatSdkDate,
  parseAuthorization,
  parseSdkDate,
  payloadHash,
  payloadProblem,
  type SignableRequest,
  signature,
  signRequest,
  stringToSign,
  verifySignature,
} from "../../src/domain/signing/sdk-hmac-sha256.js";

const AK = "TESTAK1234567890";
const SK = "TESTSKsecretkey0987654321";
const PROJECT = "0123456789abcdef0123456789abcdef";
const BASE = `/api/v3/projects/${PROJECT}`;
const NODE_SDK_SIGNED = "content-type;host;x-project-id;x-sdk-date";
const lookup = (ak: string) => (ak === AK ? SK : undefined);

/** A captured Node SDK request from §B.5 and its documented signing outputs. */
interface Vector {
  name: string;
  method: string;
  path: string;
  query: string;
  host: string;
  date: string;
  token?: string;
  body: string;
  canonical: string;
  canonicalSha256: string;
  signature: string;
}

const VECTORS: Vector[] = [
  {
    name: "V1 GET with {} body and a query",
    method: "GET",
    path: `${BASE}/clusters/abc-123`,
    query: "detail=true",
    host: "127.0.0.1:41871",
    date: "20261129T201144Z",
    body: "{}",
    canonical:
      "GET\n/api/v3/projects/0123456789abcdef0123456789abcdef/clusters/abc-123/\ndetail=true\ncontent-type:application/json\nhost:127.0.0.1:41871\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20261129T201144Z\n\ncontent-type;host;x-project-id;x-sdk-date\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    canonicalSha256: "8b7f2cd60b7df2c591c06e6d3e095a4a158a70e253ba30debb06862003116540",
    signature: "af1bd43a68b42ea08c8fcde7fe4e90d812a554b04bf77ad65882ea3ce3e50a67",
  },
  {
    name: "V2 GET without body",
    method: "GET",
    path: `${BASE}/clusters/cid/operation/upgrade/tasks/tid`,
    query: "",
    host: "127.0.0.1:32863",
    date: "20261129T201645Z",
    body: "",
    canonical:
      "GET\n/api/v3/projects/0123456789abcdef0123456789abcdef/clusters/cid/operation/upgrade/tasks/tid/\n\ncontent-type:application/json\nhost:127.0.0.1:32863\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20261129T201645Z\n\ncontent-type;host;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    canonicalSha256: "05534bed7e37161f671d75ea64dc6c51d856fec1e9169dfb4d84fd4060fe7665",
    signature: "a7762a1df9ebec120aa3a8da4c35cf4383a6a3cb17091e82abada67ac720a331",
  },
  {
    name: "V3 POST with empty body",
    method: "POST",
    path: `${BASE}/clusters/cid/operation/upgrade/retry`,
    query: "",
    host: "127.0.0.1:32863",
    date: "20261129T201645Z",
    body: "",
    canonical:
      "POST\n/api/v3/projects/0123456789abcdef0123456789abcdef/clusters/cid/operation/upgrade/retry/\n\ncontent-type:application/json\nhost:127.0.0.1:32863\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20261129T201645Z\n\ncontent-type;host;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    canonicalSha256: "fcebeacfe6c72339e1b940e271bae6a908d764dbefbc6c46b443e1308f18f584",
    signature: "2cbb94ff52997624c617a902d3b6ce4ec420d71ddc1701346634b22dbe12482f",
  },
  {
    name: "V4 PATCH with a JSON body",
    method: "PATCH",
    path: `${BASE}/clusters/cid/operation/upgradeworkflows/wf`,
    query: "",
    host: "127.0.0.1:32863",
    date: "20261129T201645Z",
    body: '{"status":{"phase":"Cancel"}}',
    canonical:
      "PATCH\n/api/v3/projects/0123456789abcdef0123456789abcdef/clusters/cid/operation/upgradeworkflows/wf/\n\ncontent-type:application/json\nhost:127.0.0.1:32863\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20261129T201645Z\n\ncontent-type;host;x-project-id;x-sdk-date\nb3675a857b31ad0939dada23b27507ebb37e3e1401e9cf880cc6e87c1d59db92",
    canonicalSha256: "fb59c8b9b66b6dd4ffcfe9d0d31211f7c098d0408a7eafa9ef43bc248d5aa249",
    signature: "e687b57735835d856068969a9134212cc147402a7b09413ad62ed96c00b2b920",
  },
  {
    name: "V5 POST with a security token",
    method: "POST",
    path: `${BASE}/clusters/cid/operation/upgrade`,
    query: "",
    host: "127.0.0.1:33579",
    date: "20261129T201202Z",
    token: "TOKEN123",
    body: '{"metadata":{"apiVersion":"v3","kind":"UpgradeTask"},"spec":{"clusterUpgradeAction":{"targetVersion":"v1.25"}}}',
    canonical:
      "POST\n/api/v3/projects/0123456789abcdef0123456789abcdef/clusters/cid/operation/upgrade/\n\ncontent-type:application/json\nhost:127.0.0.1:33579\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20261129T201202Z\nx-security-token:TOKEN123\n\ncontent-type;host;x-project-id;x-sdk-date;x-security-token\ndb7af69c586cb0ad5bad6c55608a3d34c2bfb02c9e9efc98ff2adc3213b930ee",
    canonicalSha256: "ded26986b8ae812b17bb5721850c517449785cbb270eea60635dd1d37daaf1e8",
    signature: "4dbd81ce84130a1cf885db7bbc536429e74331b47877bbf257aaa4bbe3b2b81a",
  },
  {
    name: "V6 query with special characters",
    method: "GET",
    path: `${BASE}/clusters`,
    query: "status=A%20b%2Fc~*",
    host: "127.0.0.1:33579",
    date: "20261129T201202Z",
    token: "TOKEN123",
    body: "{}",
    canonical:
      "GET\n/api/v3/projects/0123456789abcdef0123456789abcdef/clusters/\nstatus=A%20b%2Fc~%2A\ncontent-type:application/json\nhost:127.0.0.1:33579\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20261129T201202Z\nx-security-token:TOKEN123\n\ncontent-type;host;x-project-id;x-sdk-date;x-security-token\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    canonicalSha256: "f3b4f56fc3d25f6e1aeec6d76f5235429f0cd1b8ae7be572e2785f7e9182513f",
    signature: "0c39b7b9e45e52192c105747d228de99c050382be406b3e10676fcdbfe15a42a",
  },
  {
    name: "V7 PUT with a UTF-8 body",
    method: "PUT",
    path: `${BASE}/clusters/abc-123`,
    query: "",
    host: "127.0.0.1:41871",
    date: "20261129T201144Z",
    body: '{"spec":{"description":"héllo wörld"}}',
    canonical:
      "PUT\n/api/v3/projects/0123456789abcdef0123456789abcdef/clusters/abc-123/\n\ncontent-type:application/json\nhost:127.0.0.1:41871\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20261129T201144Z\n\ncontent-type;host;x-project-id;x-sdk-date\n076adb43d64c14270b1f1350ffb65e6849c61bd5727add3ab7373879b8538859",
    canonicalSha256: "cc836687c2bd2e4e54d3fb0e319c51b3b32fcea8f273ed8bc2d81ef4c1f278f4",
    signature: "31af3f354aeec4cd8fa52d6ffb0923759beb01a002b76442e3410610dbf57982",
  },
];

const [V1, , , , V5] = VECTORS as [Vector, Vector, Vector, Vector, Vector];

/** Signed headers in §B.5 order: content-type, host, x-project-id, x-sdk-date[, x-security-token]. */
function signedHeaderNames(v: Vector): string[] {
  return (v.token ? `${NODE_SDK_SIGNED};x-security-token` : NODE_SDK_SIGNED).split(";");
}

/** The request as a server receives it, including the unsigned headers the Node SDK also sends. */
function received(v: Vector): SignableRequest {
  return {
    method: v.method,
    rawPath: v.path,
    rawQuery: v.query,
    headers: {
      accept: "application/json",
      "content-type": "application/json",
      "user-agent": "huaweicloud-usdk-nodejs/3.0; os/linux#6.1#x64 nodejs/v20.20.2 meta/C; app/x",
      "x-project-id": PROJECT,
      "x-sdk-date": v.date,
      host: v.host,
      ...(v.token ? { "x-security-token": v.token } : {}),
      authorization: `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=${signedHeaderNames(v).join(";")}, Signature=${v.signature}`,
    },
    body: v.body,
  };
}

function sdkDateMs(sdkDate: string): number {
  const ms = parseSdkDate(sdkDate);
  if (ms === null) throw new Error(`bad test date ${sdkDate}`);
  return ms;
}

function withHeaders(req: SignableRequest, headers: SignableRequest["headers"]): SignableRequest {
  return { ...req, headers: { ...req.headers, ...headers } };
}

describe("captured Node SDK vectors (§B.5)", () => {
  describe.each(VECTORS)("$name", (v) => {
    const req = received(v);
    const canonical = canonicalRequest(req, signedHeaderNames(v));

    it("reproduces the canonical request, its hash and the signature", () => {
      expect(canonical).toBe(v.canonical);
      const sts = stringToSign(v.date, v.canonical);
      expect(sts).toBe(`SDK-HMAC-SHA256\n${v.date}\n${v.canonicalSha256}`);
      expect(signature(SK, sts)).toBe(v.signature);
    });

    it("verifies at the vector's X-Sdk-Date", () => {
      expect(verifySignature(req, lookup, sdkDateMs(v.date))).toEqual({ ok: true, accessKey: AK });
    });

    it("is rejected 16 minutes later and 16 minutes earlier", () => {
      const sixteenMinutes = 16 * 60 * 1000;
      for (const now of [sdkDateMs(v.date) + sixteenMinutes, sdkDateMs(v.date) - sixteenMinutes]) {
        expect(verifySignature(req, lookup, now)).toEqual({ ok: false, reason: "date_out_of_range", accessKey: AK });
      }
    });
  });

  it("hashes V4 and V7 bodies as their raw UTF-8 bytes", () => {
    const v7 = VECTORS[6] as Vector;
    expect(payloadHash(received(VECTORS[3] as Vector))).toBe(
      "b3675a857b31ad0939dada23b27507ebb37e3e1401e9cf880cc6e87c1d59db92",
    );
    expect(Buffer.byteLength(v7.body)).toBe(40);
    expect(payloadHash(received(v7))).toBe("076adb43d64c14270b1f1350ffb65e6849c61bd5727add3ab7373879b8538859");
    expect(payloadHash({ ...received(v7), body: new TextEncoder().encode(v7.body) })).toBe(payloadHash(received(v7)));
  });

  it("signRequest reproduces V1's Authorization when given the same headers", () => {
    const headers = signRequest({
      method: "GET",
      url: `${V1.path}?${V1.query}`,
      headers: { "Content-Type": "application/json", host: V1.host, "X-Project-Id": PROJECT },
      body: "{}",
      ak: AK,
      sk: SK,
      date: new Date(sdkDateMs(V1.date)),
    });
    expect(headers).toEqual({ "X-Sdk-Date": V1.date, Authorization: received(V1).headers.authorization });
  });
});

describe("canonical pieces", () => {
  it("encodes only RFC 3986 unreserved characters as themselves, with uppercase hex", () => {
    expect(encodeRfc3986("Az09-_.~")).toBe("Az09-_.~");
    expect(encodeRfc3986("a b/c*+!'()")).toBe("a%20b%2Fc%2A%2B%21%27%28%29");
    expect(encodeRfc3986("é€")).toBe("%C3%A9%E2%82%AC");
  });

  it("builds the canonical URI with a trailing slash, decoding and re-encoding segments", () => {
    expect(canonicalUri("/a/b")).toBe("/a/b/");
    expect(canonicalUri("/a/b/")).toBe("/a/b/");
    expect(canonicalUri("")).toBe("/");
    expect(canonicalUri("/a//b")).toBe("/a//b/");
    expect(canonicalUri("/x%2Ay/h%C3%A9*")).toBe("/x%2Ay/h%C3%A9%2A/");
    expect(canonicalUri("/bad%zz/100%")).toBe("/bad%25zz/100%25/");
  });

  it("sorts query keys and array values (captured b=1&b=2&a=x example)", () => {
    expect(canonicalQuery("b=1&b=2&a=x")).toBe("a=x&b=1&b=2");
    expect(canonicalQuery("b=2&b=1&a=x")).toBe("a=x&b=1&b=2");
  });

  it("canonicalises V6's wire query, keeps '+' literal and gives flag keys an empty value", () => {
    expect(canonicalQuery("status=A%20b%2Fc~*")).toBe("status=A%20b%2Fc~%2A");
    expect(canonicalQuery("q=a+b")).toBe("q=a%2Bb");
    expect(canonicalQuery("flag&a=1&")).toBe("a=1&flag=");
    expect(canonicalQuery("")).toBe("");
  });

  it("sorts keys by UTF-16 code unit and lowercases them only on request", () => {
    expect(canonicalQuery("b=1&Z=2&a=3")).toBe("Z=2&a=3&b=1");
    expect(canonicalQuery("errorStatus=x&detail=true", { lowercaseKeys: true })).toBe("detail=true&errorstatus=x");
  });

  it("uses x-sdk-content-sha256 as the payload hash only when it is signed", () => {
    const req = { headers: { "x-sdk-content-sha256": "UNSIGNED-PAYLOAD" }, body: "{}" };
    expect(payloadHash(req, ["host", "x-sdk-content-sha256"])).toBe("UNSIGNED-PAYLOAD");
    expect(payloadHash(req, ["host"])).toBe("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  });

  it("refuses a signed content hash that does not cover the body", () => {
    const signed = ["x-sdk-content-sha256"];
    const claim = (value: string | string[], method = "POST", body = "{}") =>
      payloadProblem({ method, headers: { "x-sdk-content-sha256": value }, body }, signed);
    expect(claim("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")).toBeNull();
    expect(claim("44136FA355B3678A1146AD16F7E8649E94FB4FC21FE77E8310C060F61CAAFF8A")).toBeNull();
    expect(claim("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")).toBe("payload_hash_mismatch");
    expect(claim(["UNSIGNED-PAYLOAD", "UNSIGNED-PAYLOAD"])).toBe("payload_hash_mismatch");
    expect(claim("UNSIGNED-PAYLOAD")).toBe("unsigned_payload");
    expect(claim("UNSIGNED-PAYLOAD", "delete")).toBe("unsigned_payload");
    expect(claim("UNSIGNED-PAYLOAD", "POST", "")).toBeNull();
    expect(claim("UNSIGNED-PAYLOAD", "GET")).toBeNull();
    expect(payloadProblem({ method: "PUT", headers: { "x-sdk-content-sha256": "x" }, body: "{}" }, [])).toBeNull();
  });

  it("trims header values and emits one sorted line per repeated value", () => {
    const req: SignableRequest = {
      method: "GET",
      rawPath: "/p",
      rawQuery: "",
      headers: { "x-a": ["2", "1"], "x-b": "  v  " },
      body: "",
    };
    expect(canonicalRequest(req, ["x-a", "x-b"])).toBe(
      "GET\n/p/\n\nx-a:1\nx-a:2\nx-b:v\n\nx-a;x-b\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("returns null when a signed header is missing", () => {
    expect(canonicalRequest(received(V1), ["content-type", "x-missing"])).toBeNull();
  });
});

describe("authorization and dates", () => {
  it("parses the Authorization header and rejects other schemes", () => {
    expect(parseAuthorization(received(V1).headers.authorization as string)).toEqual({
      accessKey: AK,
      signedHeaders: ["content-type", "host", "x-project-id", "x-sdk-date"],
      signature: V1.signature,
    });
    expect(
      parseAuthorization(`sdk-hmac-sha256 Access=${AK}, SignedHeaders=host, Signature=${V1.signature}`),
    ).toBeNull();
    expect(
      parseAuthorization(`V11-HMAC-SHA256 Credential=${AK}/x, SignedHeaders=host, Signature=${V1.signature}`),
    ).toBeNull();
    expect(parseAuthorization(`SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=host, Signature=abc`)).toBeNull();
  });

  it("formats and parses X-Sdk-Date in UTC, rejecting impossible dates", () => {
    expect(formatSdkDate(new Date(Date.UTC(2026, 10, 29, 20, 11, 44, 999)))).toBe("20261129T201144Z");
    expect(parseSdkDate("20261129T201144Z")).toBe(Date.UTC(2026, 10, 29, 20, 11, 44));
    expect(parseSdkDate("20240229T000000Z")).toBe(Date.UTC(2024, 1, 29));
    expect(parseSdkDate("00500101T000000Z")).toBe(Date.parse("0050-01-01T00:00:00Z"));
    expect(parseSdkDate("20261129T205960Z")).toBeNull();
    for (const bad of ["20260230T000000Z", "20261301T000000Z", "20261129T240000Z", "2026-11-29T20:11:44Z", ""]) {
      expect(parseSdkDate(bad)).toBeNull();
    }
  });
});

describe("verifySignature failures", () => {
  const now = sdkDateMs(V5.date);
  const req = received(V5);
  const verify = (r: SignableRequest) => verifySignature(r, lookup, now);
  const mismatch = { ok: false, reason: "signature_mismatch", accessKey: AK };

  it("reports missing and malformed Authorization", () => {
    expect(verify(withHeaders(req, { authorization: undefined }))).toEqual({
      ok: false,
      reason: "missing_authorization",
    });
    expect(verify(withHeaders(req, { authorization: "Bearer abc" }))).toEqual({
      ok: false,
      reason: "malformed_authorization",
    });
  });

  it("reports an unknown access key as a mismatch, after the same checks as a known one", () => {
    expect(verifySignature(req, () => undefined, now)).toEqual(mismatch);
    expect(verifySignature(req, () => undefined, now + 16 * 60_000)).toMatchObject({ reason: "date_out_of_range" });
  });

  it("reports missing and malformed X-Sdk-Date", () => {
    expect(verify(withHeaders(req, { "x-sdk-date": undefined }))).toMatchObject({ ok: false, reason: "missing_date" });
    expect(verify(withHeaders(req, { "x-sdk-date": "2026-11-29T20:12:02Z" }))).toMatchObject({
      ok: false,
      reason: "malformed_date",
    });
  });

  it("honours a custom maximum skew", () => {
    expect(verifySignature(req, lookup, now + 61_000, { maxSkewMs: 60_000 })).toMatchObject({
      reason: "date_out_of_range",
    });
  });

  it("reports a missing signed header", () => {
    expect(verify(withHeaders(req, { "x-security-token": undefined }))).toEqual({
      ok: false,
      reason: "missing_signed_header",
      accessKey: AK,
    });
  });

  it("reports a tampered path, query, signed header or body", () => {
    expect(verify({ ...req, rawPath: req.rawPath.replace("/cid/", "/other/") })).toEqual(mismatch);
    expect(verify({ ...req, rawQuery: "dryRun=true" })).toEqual(mismatch);
    expect(verify(withHeaders(req, { "x-project-id": "ffffffffffffffffffffffffffffffff" }))).toEqual(mismatch);
    expect(verify({ ...req, body: (req.body as string).replace("v1.25", "v1.28") })).toEqual(mismatch);
    expect(verify({ ...received(V1), rawQuery: "detail=false" })).toMatchObject({ reason: "signature_mismatch" });
  });

  it("reports a mismatch for a wrong SK and never leaks the expected signature", () => {
    const result = verifySignature(req, () => "not-the-secret", now);
    expect(result).toEqual(mismatch);
    expect(Object.keys(result).sort()).toEqual(["accessKey", "ok", "reason"]);
  });

  it("ignores changes to unsigned headers and accepts an uppercase-hex signature", () => {
    const auth = (req.headers.authorization as string).replace(V5.signature, V5.signature.toUpperCase());
    expect(verify(withHeaders(req, { "user-agent": "other", authorization: auth }))).toEqual({
      ok: true,
      accessKey: AK,
    });
  });

  it("accepts a Go SDK v3 signature made over lowercased query keys", () => {
    const goReq: SignableRequest = { ...received(V1), rawQuery: "errorStatus=x&detail=true" };
    const canonical = canonicalRequest(goReq, signedHeaderNames(V1), { lowercaseKeys: true }) as string;
    const goSig = signature(SK, stringToSign(V1.date, canonical));
    const authorization = `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=${NODE_SDK_SIGNED}, Signature=${goSig}`;
    expect(verifySignature(withHeaders(goReq, { authorization }), lookup, sdkDateMs(V1.date))).toEqual({
      ok: true,
      accessKey: AK,
    });
  });
});

describe("signRequest round trips", () => {
  const date = new Date(Date.UTC(2026, 10, 29, 21, 0, 0));

  /** Builds what the server receives: the sent headers lowercased, as Node's IncomingMessage gives them. */
  function onTheWire(method: string, url: string, sent: Record<string, string>, body: string): SignableRequest {
    const [rawPath = "", rawQuery = ""] = url.split("?");
    const headers = Object.fromEntries(Object.entries(sent).map(([name, value]) => [name.toLowerCase(), value.trim()]));
    return { method, rawPath, rawQuery, headers, body };
  }

  it("verifies a terraform/golangsdk-style request (host unsigned, body ending in newline)", () => {
    const url = `${BASE}/clusters/cid/operation/upgrade`;
    const body = '{"metadata":{"apiVersion":"v3","kind":"UpgradeTask"},"spec":{}}\n';
    const headers = {
      Accept: "application/json",
      "Content-Type": " application/json ",
      "User-Agent": "terraform-provider-iac golangsdk/2.0.0",
    };
    const added = signRequest({ method: "POST", url, headers, body, ak: AK, sk: SK, date });
    expect(added.Authorization).toMatch(
      / SignedHeaders=accept;content-type;user-agent;x-sdk-date, Signature=[0-9a-f]{64}$/,
    );

    // golangsdk adds X-Project-Id after signing, and Go sends Host outside the signed header map.
    const sent = { ...headers, ...added, "X-Project-Id": PROJECT, Host: "cce.example.com" };
    const wire = onTheWire("POST", url, sent, body);
    expect(verifySignature(wire, lookup, date.getTime())).toEqual({ ok: true, accessKey: AK });
    expect(verifySignature({ ...wire, body: body.trimEnd() }, lookup, date.getTime())).toMatchObject({
      reason: "signature_mismatch",
    });
  });

  it("verifies a Node-SDK-style GET with a {} body and host signed", () => {
    const url = `${BASE}/clusters/abc-123?detail=true&errorStatus=x`;
    const headers = { "content-type": "application/json", host: "127.0.0.1:8443", "x-project-id": PROJECT };
    const added = signRequest({ method: "GET", url, headers, body: "{}", ak: AK, sk: SK, date });
    expect(added["X-Sdk-Date"]).toBe("20261129T210000Z");
    expect(added.Authorization).toContain(`Access=${AK}, SignedHeaders=${NODE_SDK_SIGNED}, Signature=`);
    const wire = onTheWire("GET", url, { ...headers, ...added, accept: "application/json" }, "{}");
    expect(verifySignature(wire, lookup, date.getTime())).toEqual({ ok: true, accessKey: AK });
  });

  it("signs only the requested header names when given", () => {
    const headers = { "content-type": "application/json", host: "h", "x-extra": "1" };
    const added = signRequest({
      method: "GET",
      url: "/p",
      headers,
      body: "",
      ak: AK,
      sk: SK,
      date,
      signedHeaderNames: ["X-Sdk-Date", "host"],
    });
    expect(parseAuthorization(added.Authorization as string)?.signedHeaders).toEqual(["host", "x-sdk-date"]);
    const wire = onTheWire("GET", "/p", { ...headers, ...added, "x-extra": "changed" }, "");
    expect(verifySignature(wire, lookup, date.getTime())).toEqual({ ok: true, accessKey: AK });
  });
});

describe("encodeRfc3986 on any string", () => {
  it("keeps only unreserved characters and %XX escapes, and decodes back to the UTF-8 of the input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const encoded = encodeRfc3986(text);
        expect(encoded).toMatch(/^(?:[A-Za-z0-9\-_.~]|%[0-9A-F]{2})*$/);
        expect(Buffer.from(decodeURIComponent(encoded), "utf8")).toEqual(Buffer.from(text, "utf8"));
      }),
      { numRuns: 2000 },
    );
  });
});
