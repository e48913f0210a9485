/**
 * Huawei Cloud `SDK-HMAC-SHA256` AK/SK request signing as pure functions, shared by the server-side
 * verifier and the client-side signer. Behaviour follows docs real-clients.md §B.3–B.5, §A.4 and §C.1.
 */
import { createHash, createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";
import { BoundedMap } from "../bounded-map.js";

const ALGORITHM = "SDK-HMAC-SHA256";
// An access key is at most 128 characters (the seed's limit): longer ones are not signatures.
const AUTHORIZATION_RE =
  /^SDK-HMAC-SHA256\s+Access=([^,\s]{1,128}),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]{64})$/;
const SDK_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const UNRESERVED_CHAR_RE = /^[A-Za-z0-9_.~-]$/;
const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const CONTENT_SHA256 = "x-sdk-content-sha256";
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
/** Methods whose body the server never parses (Fastify does not), so an unsigned one there carries nothing. */
const BODYLESS_METHODS = new Set(["GET", "HEAD"]);
/** Signs for an unknown access key, so that it costs what a known one does; such a signature never verifies. */
const UNKNOWN_KEY_SECRET = "no-such-access-key-0000000000000000000000";

/** Options for building the canonical query string. */
export interface CanonicalOptions {
  /** Lowercase query keys before sorting, as the Go SDK v3 signer does (§C.1). */
  lowercaseKeys?: boolean;
}

/** A request as received by a server (or about to be sent by a client), with raw wire data. */
export interface SignableRequest {
  method: string;
  /** Raw path as on the wire, without the query. */
  rawPath: string;
  /** Raw query string as on the wire, without the leading "?"; "" for none. */
  rawQuery: string;
  /** Lowercase header names, as Node's IncomingMessage gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** Raw body bytes as received; "" for none. */
  body: Uint8Array | string;
}

/** The three fields of an `SDK-HMAC-SHA256` Authorization header. */
export interface ParsedAuthorization {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

/** Input for client-side signing. */
export interface SignRequestInput {
  method: string;
  /** Path plus optional `?query`, exactly as it will go on the wire. */
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  ak: string;
  sk: string;
  date: Date;
  /** Headers to sign; defaults to every given header plus `x-sdk-date`. */
  signedHeaderNames?: string[];
}

/** Why verification failed; names the first check that did not pass. */
export type VerifyFailureReason =
  | "missing_authorization"
  | "malformed_authorization"
  | "missing_date"
  | "malformed_date"
  | "date_out_of_range"
  | "missing_signed_header"
  | "unsigned_payload"
  | "payload_hash_mismatch"
  /** A wrong signature, or an unknown access key: the two are never told apart. */
  | "signature_mismatch";

/** Outcome of {@link verifySignature}; never carries the expected signature. */
export type VerifyResult =
  | { ok: true; accessKey: string }
  | { ok: false; reason: VerifyFailureReason; accessKey?: string };

/** Percent-encodes the UTF-8 bytes of `s`, keeping only RFC 3986 unreserved characters; uppercase hex. */
export function encodeRfc3986(s: string): string {
  try {
    // encodeURIComponent leaves exactly the unreserved set plus !'()* alone; it runs on every signed request.
    return encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    return encodeBytewise(s);
  }
}

/** The same encoding byte by byte, for strings with lone surrogates (encoded as UTF-8 of U+FFFD, as Buffer does). */
function encodeBytewise(s: string): string {
  return Array.from(Buffer.from(s, "utf8"), (byte) => {
    const ch = String.fromCharCode(byte);
    return UNRESERVED_CHAR_RE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

/** Pollers ask for the same few paths again and again: their canonical form is kept, not rebuilt per request (a
 * BoundedMap, not a library: the client package imports this module and has no dependencies). */
const canonicalUris = new BoundedMap<string, string>(4096);

/** Canonical URI: each segment decoded then re-encoded, always ending in "/"; duplicate slashes kept. */
export function canonicalUri(rawPath: string): string {
  let uri = canonicalUris.get(rawPath);
  if (uri === undefined) {
    uri = buildCanonicalUri(rawPath);
    canonicalUris.set(rawPath, uri);
  }
  return uri;
}

function buildCanonicalUri(rawPath: string): string {
  const uri = rawPath
    .split("/")
    .map((segment) => encodeRfc3986(decodeOrRaw(segment)))
    .join("/");
  return uri.endsWith("/") ? uri : `${uri}/`;
}

/** Canonical query: decoded pairs sorted by key then value (UTF-16 code units), re-encoded, joined by "&". */
export function canonicalQuery(rawQuery: string, opts: CanonicalOptions = {}): string {
  return parseQuery(rawQuery)
    .map(([key, value]): [string, string] => [opts.lowercaseKeys ? key.toLowerCase() : key, value])
    .sort(([k1, v1], [k2, v2]) => byCodeUnit(k1, k2) || byCodeUnit(v1, v2))
    .map(([key, value]) => `${encodeRfc3986(key)}=${encodeRfc3986(value)}`)
    .join("&");
}

/**
 * Payload hash: the `x-sdk-content-sha256` header (a hash or `UNSIGNED-PAYLOAD`) when it is among the signed headers,
 * else the sha256 of the body. An unsigned header is ignored: anyone on the path could have set it.
 */
export function payloadHash(req: Pick<SignableRequest, "headers" | "body">, signedHeaders: string[] = []): string {
  const claimed = signsContentHash(signedHeaders) ? headerValues(req.headers, CONTENT_SHA256)[0] : undefined;
  return claimed ?? sha256Hex(req.body);
}

/**
 * Why a signed content hash does not cover the body, or null when it does (or none is signed): it must be the body's
 * sha256, or `UNSIGNED-PAYLOAD` on a request without a body or on a GET or HEAD, whose body the server ignores. A bodyless
 * write keeps nothing unsigned: a body added on the way would be refused here.
 */
export function payloadProblem(
  req: Pick<SignableRequest, "method" | "headers" | "body">,
  signedHeaders: string[],
): VerifyFailureReason | null {
  if (!signsContentHash(signedHeaders)) return null;
  const claims = headerValues(req.headers, CONTENT_SHA256);
  const [claim] = claims;
  if (claims.length !== 1 || claim === undefined) return "payload_hash_mismatch";
  if (claim === UNSIGNED_PAYLOAD) {
    return req.body.length > 0 && !BODYLESS_METHODS.has(req.method.toUpperCase()) ? "unsigned_payload" : null;
  }
  return claim.toLowerCase() === sha256Hex(req.body) ? null : "payload_hash_mismatch";
}

/** Canonical request text (§B.3 step 9), or `null` when a signed header is absent from the request. */
export function canonicalRequest(
  req: SignableRequest,
  signedHeaders: string[],
  opts: CanonicalOptions = {},
): string | null {
  const headerBlock = canonicalHeaders(req.headers, signedHeaders);
  if (headerBlock === null) return null;
  // headerBlock ends in "\n", which yields the empty line before the SignedHeaders line.
  return [
    req.method,
    canonicalUri(req.rawPath),
    canonicalQuery(req.rawQuery, opts),
    headerBlock,
    signedHeaders.join(";"),
    payloadHash(req, signedHeaders),
  ].join("\n");
}

/** String to sign: algorithm, the X-Sdk-Date value verbatim, and the hex sha256 of the canonical request. */
export function stringToSign(sdkDate: string, canonicalRequestText: string): string {
  return `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequestText)}`;
}

/** Each secret's key object, made once: building one from the string costs as much as the HMAC itself. */
const secretKeys = new BoundedMap<string, KeyObject>(10_000);

/** Lowercase hex HMAC-SHA256 keyed directly with the SK string (no key derivation). */
export function signature(sk: string, stringToSignText: string): string {
  let key = secretKeys.get(sk);
  if (key === undefined) {
    key = createSecretKey(Buffer.from(sk, "utf8"));
    secretKeys.set(sk, key);
  }
  return createHmac("sha256", key).update(stringToSignText).digest("hex");
}

/** Parses `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`; `null` for any other shape or scheme. */
export function parseAuthorization(header: string): ParsedAuthorization | null {
  const match = AUTHORIZATION_RE.exec(header);
  if (match === null) return null;
  // All three groups are mandatory in the regex, so the defaults never apply.
  const [accessKey = "", signedHeaders = "", sig = ""] = match.slice(1);
  return { accessKey, signedHeaders: signedHeaders.split(";"), signature: sig };
}

/** Client side: returns the `X-Sdk-Date` and `Authorization` headers to add to the request. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const sdkDate = formatSdkDate(input.date);
  const headers = Object.fromEntries(Object.entries(input.headers).map(([name, value]) => [name.toLowerCase(), value]));
  headers["x-sdk-date"] = sdkDate;
  const signedHeaders = (input.signedHeaderNames ?? Object.keys(headers))
    .map((name) => name.toLowerCase())
    .toSorted(byCodeUnit);
  const [rawPath, rawQuery] = splitOnce(input.url, "?");
  const canonical = canonicalRequest(
    { method: input.method, rawPath, rawQuery, headers, body: input.body },
    signedHeaders,
  );
  if (canonical === null) throw new Error("signRequest: a signed header name is not among the request headers");
  const sig = signature(input.sk, stringToSign(sdkDate, canonical));
  return {
    "X-Sdk-Date": sdkDate,
    Authorization: `${ALGORITHM} Access=${input.ak}, SignedHeaders=${signedHeaders.join(";")}, Signature=${sig}`,
  };
}

/**
 * Server side: checks Authorization, X-Sdk-Date skew, the signed headers, the body's hash and the signature, reporting
 * the first failed check. An unknown access key goes through every check with a stand-in secret and ends as a
 * `signature_mismatch`, so neither the answer nor the work tells it from a wrong signature.
 */
export function verifySignature(
  req: SignableRequest,
  lookupSecret: (accessKey: string) => string | undefined,
  nowMs: number,
  opts: { maxSkewMs?: number } = {},
): VerifyResult {
  const header = headerValues(req.headers, "authorization")[0];
  if (header === undefined) return { ok: false, reason: "missing_authorization" };
  const auth = parseAuthorization(header);
  if (auth === null) return { ok: false, reason: "malformed_authorization" };
  const { accessKey } = auth;
  const fail = (reason: VerifyFailureReason): VerifyResult => ({ ok: false, reason, accessKey });

  const sk = lookupSecret(accessKey);
  const sdkDate = headerValues(req.headers, "x-sdk-date")[0];
  if (sdkDate === undefined) return fail("missing_date");
  const signedAtMs = parseSdkDate(sdkDate);
  if (signedAtMs === null) return fail("malformed_date");
  if (Math.abs(nowMs - signedAtMs) > (opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) return fail("date_out_of_range");

  const canonical = canonicalRequest(req, auth.signedHeaders);
  if (canonical === null) return fail("missing_signed_header");
  const problem = payloadProblem(req, auth.signedHeaders);
  if (problem !== null) return fail(problem);
  const secret = sk ?? UNKNOWN_KEY_SECRET;
  const matches = (text: string) => hexEqual(signature(secret, stringToSign(sdkDate, text)), auth.signature);
  // The Go SDK v3 signs lowercased query keys; the text only differs when some key has uppercase letters. Built only
  // after a first mismatch, as it is for every wrong signature and every unknown key alike.
  const matchesLowered = () => {
    const lowered = canonicalRequest(req, auth.signedHeaders, { lowercaseKeys: true });
    return lowered !== null && lowered !== canonical && matches(lowered);
  };
  const verified = matches(canonical) || matchesLowered();
  return verified && sk !== undefined ? { ok: true, accessKey } : fail("signature_mismatch");
}

/** Formats a date as `YYYYMMDDTHHMMSSZ` in UTC. */
export function formatSdkDate(d: Date): string {
  return d.toISOString().replace(/[-:]|\.\d{3}/g, "");
}

/** Parses `YYYYMMDDTHHMMSSZ` to epoch ms; `null` unless it is well-formed and a real calendar date/time. */
export function parseSdkDate(s: string): number | null {
  const match = SDK_DATE_RE.exec(s);
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, ...number[]];
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, takes years below 100 as they are.
  date.setUTCFullYear(year, (month as number) - 1, day);
  date.setUTCHours(hour as number, minute, second, 0);
  // Impossible values roll over (Feb 30, hour 24); reading the fields back rejects them.
  const real =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === (month as number) - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return real ? date.getTime() : null;
}

/** One `name:value` line per signed header value, in the client's SignedHeaders order (§B.4 step 6). */
function canonicalHeaders(headers: SignableRequest["headers"], signedHeaders: string[]): string | null {
  let block = "";
  for (const name of signedHeaders) {
    const values = headerValues(headers, name.toLowerCase());
    if (values.length === 0) return null;
    // Sorted before trimming, as the Go signers do.
    for (const value of values.toSorted(byCodeUnit)) block += `${name}:${value.trim()}\n`;
  }
  return block;
}

function signsContentHash(signedHeaders: string[]): boolean {
  // The length test spares lowercasing every other signed header name on every request.
  return signedHeaders.some((name) => name.length === CONTENT_SHA256.length && name.toLowerCase() === CONTENT_SHA256);
}

function headerValues(headers: SignableRequest["headers"], name: string): string[] {
  const value = headers[name];
  return typeof value === "string" ? [value] : (value ?? []);
}

function parseQuery(rawQuery: string): [string, string][] {
  return rawQuery
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      // '+' stays literal: these clients send spaces as %20.
      const [key, value] = splitOnce(part, "=");
      return [decodeOrRaw(key), decodeOrRaw(value)];
    });
}

/** Splits at the first `sep`; the second part is "" when `sep` is absent. */
function splitOnce(s: string, sep: string): [string, string] {
  const at = s.indexOf(sep);
  return at === -1 ? [s, ""] : [s.slice(0, at), s.slice(at + sep.length)];
}

/** Malformed escapes are kept raw: the client signed the text it sent. */
function decodeOrRaw(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function byCodeUnit(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** The hash of an empty body, which every GET carries. */
const EMPTY_SHA256 = createHash("sha256").digest("hex");

function sha256Hex(data: string | Uint8Array): string {
  if (data.length === 0) return EMPTY_SHA256;
  return createHash("sha256").update(data).digest("hex");
}

/** Constant-time, case-insensitive comparison of hex strings. */
function hexEqual(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}
