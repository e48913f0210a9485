import type { FastifyRequest, preValidationHookHandler } from "fastify";
import { LRUCache } from "lru-cache";
import { BoundedMap } from "../domain/bounded-map.js";
import type { Clock } from "../domain/clock.js";
import { parseAuthorization, type SignableRequest, verifySignature } from "../domain/signing/sdk-hmac-sha256.js";
import type { FailureRow, FailureSubject } from "../store/auth-failure-queries.js";
import { type AccessKeyRow, findAccessKey, findTokenGrant, type TokenGrant } from "../store/credential-queries.js";
import type { Store } from "../store/database.js";
import { sha256Hex } from "../store/passwords.js";
import { type AuthLimits, DEFAULT_AUTH_LIMITS } from "./auth-limits.js";
import { ApiError } from "./errors.js";
import { FailureCounters } from "./failure-counters.js";
import { rawBodyOf } from "./raw-body.js";
import { sourceAddress } from "./source-address.js";

/** Who a request acts for: every credential belongs to exactly one project. */
export interface Principal {
  readonly projectId: string;
  readonly method: "token" | "aksk";
}

/** Proves who a request is from, by AK/SK signature or `X-Auth-Token`; throws APIGW errors when it cannot. */
export interface Authenticator {
  authenticate(request: FastifyRequest): Promise<Principal>;
}

export interface AuthenticationOptions {
  /** How far `X-Sdk-Date` may be from the server's clock. */
  readonly maxClockSkewMs: number;
  /** When wrong signatures lock an access key at an address, and throttle an address. */
  readonly failures: AuthLimits["failures"];
  /** How long a credential looked up in the database is reused before it is read again. */
  readonly cacheMs: number;
  /** Largest body read for a signature when Fastify did not parse it (GET). */
  readonly bodyLimitBytes: number;
}

export const DEFAULT_AUTHENTICATION: AuthenticationOptions = {
  maxClockSkewMs: 15 * 60_000,
  failures: DEFAULT_AUTH_LIMITS.failures,
  cacheMs: 5_000,
  bodyLimitBytes: 1024 * 1024,
};

const SIGNATURE_FAILURES: Record<string, string> = {
  malformed_authorization: "the Authorization header is not an SDK-HMAC-SHA256 signature",
  missing_date: "x-sdk-date not found",
  malformed_date: "x-sdk-date is not in the form YYYYMMDDTHHMMSSZ",
  date_out_of_range: "x-sdk-date is more than 15 minutes away from the server's time",
  missing_signed_header: "a header named in SignedHeaders is missing",
  unsigned_payload: "x-sdk-content-sha256 UNSIGNED-PAYLOAD is not accepted on a request with a body",
  payload_hash_mismatch: "x-sdk-content-sha256 is not the SHA-256 of the body",
  signature_mismatch: "verify aksk signature fail",
};

/** The credential check every CCE route runs: signatures when `Authorization` is sent, else the token. */
export function credentialAuthenticator(
  store: Store,
  clock: Clock,
  options: AuthenticationOptions = DEFAULT_AUTHENTICATION,
): Authenticator {
  const tokens = new ExpiringCache<TokenGrant | undefined>(options.cacheMs);
  const keys = new ExpiringCache<AccessKeyRow | undefined>(options.cacheMs);
  const counters = new FailureCounters(store, clock, options.failures);
  const known = new KnownFailures();

  async function byToken(token: string): Promise<Principal> {
    const hash = sha256Hex(token);
    const grant = await tokens.get(hash, () => findTokenGrant(store.db, hash));
    if (!grant) throw new ApiError("authenticationFailed", "decrypt token fail");
    const now = clock.nowMicros();
    if (grant.expiresAt !== null && grant.expiresAt <= now) {
      throw new ApiError(
        "authenticationFailed",
        `token expires, expires_at: ${new Date(grant.expiresAt / 1000).toISOString()}`,
      );
    }
    return { projectId: grant.projectId, method: "token" };
  }

  /** Refuses, before any signature work, a source that this process knows to be locked. */
  function refuseWhileLocked(address: FailureSubject, key: FailureSubject): void {
    const addressCount = known.get(address);
    const addressSeconds = addressCount ? counters.lockedSeconds([addressCount]) : 0;
    if (addressSeconds > 0) {
      throw new ApiError("throttled", `too many wrong signatures from this address; retry in ${addressSeconds} s`, {
        retryAfterSeconds: addressSeconds,
      });
    }
    const keyCount = known.get(key);
    const keySeconds = keyCount ? counters.lockedSeconds([keyCount]) : 0;
    if (keySeconds > 0) {
      throw new ApiError("authenticationFailed", "AK access failed to reach the limit, forbidden", {
        retryAfterSeconds: keySeconds,
      });
    }
  }

  /**
   * A valid signature clears its key's count at this address, when this process knows there is one: the success
   * path reads the database only then. Another replica's count is first read, in case it has locked the key here.
   */
  async function clearKeyFailures(address: FailureSubject, key: FailureSubject): Promise<void> {
    if (!known.get(key)) return;
    known.learn(await counters.read([key]));
    refuseWhileLocked(address, key);
    await counters.clear(key);
    known.forget(key);
  }

  async function bySignature(request: FastifyRequest, authorization: string): Promise<Principal> {
    const accessKey = parseAuthorization(authorization)?.accessKey ?? "";
    const from = sourceAddress(request);
    const address: FailureSubject = { scope: "signature-address", subject: from };
    const counted: FailureSubject = { scope: "signature-key", subject: `${accessKey} ${from}` };
    refuseWhileLocked(address, counted);
    const key = accessKey ? await keys.get(accessKey, () => findAccessKey(store.db, accessKey)) : undefined;
    const nowMs = clock.nowMicros() / 1000;
    const result = verifySignature(await signable(request, options.bodyLimitBytes), () => key?.secret_key, nowMs, {
      maxSkewMs: options.maxClockSkewMs,
    });
    if (!result.ok) {
      // Only a well-formed signature that does not verify is a guess at a secret key; the rest costs no write.
      if (result.reason === "signature_mismatch") known.learn(await counters.record([address, counted]));
      throw new ApiError("authenticationFailed", SIGNATURE_FAILURES[result.reason] ?? result.reason);
    }
    await clearKeyFailures(address, counted);
    const token = request.headers["x-security-token"];
    if ((key?.security_token ?? undefined) !== (typeof token === "string" ? token : undefined)) {
      throw new ApiError("authenticationFailed", "x-security-token does not match the access key");
    }
    return { projectId: key?.project_id ?? "", method: "aksk" };
  }

  return {
    async authenticate(request) {
      const authorization = request.headers.authorization;
      if (typeof authorization === "string" && authorization !== "") return bySignature(request, authorization);
      const token = request.headers["x-auth-token"];
      if (typeof token === "string" && token !== "") return byToken(token);
      throw new ApiError("authenticationFailed", "x-auth-token not found");
    },
  };
}

/** The request as it arrived, for the signature: raw path and query, headers, raw body bytes. */
async function signable(request: FastifyRequest, bodyLimitBytes: number): Promise<SignableRequest> {
  const url = request.raw.url ?? "/";
  const queryAt = url.indexOf("?");
  return {
    method: request.method,
    rawPath: queryAt < 0 ? url : url.slice(0, queryAt),
    rawQuery: queryAt < 0 ? "" : url.slice(queryAt + 1),
    headers: request.headers,
    body: await rawBodyOf(request, bodyLimitBytes),
  };
}

/**
 * The hook guarding CCE routes: authenticate, then refuse any project but the credential's own. The refusal is the
 * same whether or not the other project or its resources exist, so it reveals nothing. Runs once the body is read,
 * because a signature covers it.
 */
export function requireProjectCredential(authenticator: Authenticator): preValidationHookHandler {
  return async (request) => {
    const principal = await authenticator.authenticate(request);
    const projectId = (request.params as { project_id?: string }).project_id;
    const headerProject = request.headers["x-project-id"];
    for (const claimed of [projectId, typeof headerProject === "string" ? headerProject : undefined]) {
      if (claimed !== undefined && claimed !== principal.projectId) {
        throw new ApiError("notAuthorized", `the credential is not valid for project ${claimed}`);
      }
    }
  };
}

/** Remembers lookups for a short time, so a hot path does not read the same credential on every request. */
class ExpiringCache<T> {
  readonly #entries: LRUCache<string, { value: Promise<T> }>;
  constructor(ttlMs: number) {
    // A ttl of 0 would mean "forever" to lru-cache.
    this.#entries = new LRUCache({ max: 10_000, ttl: Math.max(1, ttlMs) });
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.#entries.get(key);
    if (hit) return hit.value;
    const entry = { value: load() };
    this.#entries.set(key, entry);
    entry.value.catch(() => {
      if (this.#entries.peek(key) === entry) this.#entries.delete(key);
    });
    return entry.value;
  }
}

/**
 * The counts this process saw when it recorded failures (or read them): enough to refuse a locked source before any
 * work, and to know when a success has a count to clear, without reading the database on every request.
 */
class KnownFailures {
  readonly #counts = new BoundedMap<string, FailureRow>(10_000);

  get(subject: FailureSubject): FailureRow | undefined {
    // Nothing is known until a signature fails: the success path builds no key.
    return this.#counts.size === 0 ? undefined : this.#counts.get(`${subject.scope}\n${subject.subject}`);
  }

  learn(counts: readonly FailureRow[]): void {
    for (const count of counts) this.#counts.set(`${count.scope}\n${count.subject}`, count);
  }

  forget(subject: FailureSubject): void {
    this.#counts.delete(`${subject.scope}\n${subject.subject}`);
  }
}
