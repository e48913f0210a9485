import type { FastifyRequest, preValidationHookHandler } from "fastify";
import type { Clock } from "../domain/clock.js";
import { parseAuthorization, type SignableRequest, verifySignature } from "../domain/signing/sdk-hmac-sha256.js";
import { type AccessKeyRow, findAccessKey, findTokenGrant, type TokenGrant } from "../store/credential-queries.js";
import type { Store } from "../store/database.js";
import { sha256Hex } from "../store/passwords.js";
import { ApiError } from "./errors.js";
import { rawBodyOf } from "./raw-body.js";

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
  /** Consecutive signature failures after which an access key is locked, and for how long. */
  readonly lockAfterFailures: number;
  readonly lockMs: number;
  /** How long a credential looked up in the database is reused before it is read again. */
  readonly cacheMs: number;
  /** Largest body read for a signature when Fastify did not parse it (GET). */
  readonly bodyLimitBytes: number;
}

export const DEFAULT_AUTHENTICATION: AuthenticationOptions = {
  maxClockSkewMs: 15 * 60_000,
  lockAfterFailures: 5,
  lockMs: 60_000,
  cacheMs: 5_000,
  bodyLimitBytes: 1024 * 1024,
};

const SIGNATURE_FAILURES: Record<string, string> = {
  malformed_authorization: "the Authorization header is not an SDK-HMAC-SHA256 signature",
  unknown_access_key: "Get secretKey failed",
  missing_date: "x-sdk-date not found",
  malformed_date: "x-sdk-date is not in the form YYYYMMDDTHHMMSSZ",
  date_out_of_range: "x-sdk-date is more than 15 minutes away from the server's time",
  missing_signed_header: "a header named in SignedHeaders is missing",
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
  const throttle = new FailureThrottle(options.lockAfterFailures, options.lockMs);

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

  async function bySignature(request: FastifyRequest, authorization: string): Promise<Principal> {
    const accessKey = parseAuthorization(authorization)?.accessKey;
    const nowMs = clock.nowMicros() / 1000;
    if (accessKey && throttle.isLocked(accessKey, nowMs)) {
      throw new ApiError("authenticationFailed", "AK access failed to reach the limit, forbidden");
    }
    const key = accessKey ? await keys.get(accessKey, () => findAccessKey(store.db, accessKey)) : undefined;
    const result = verifySignature(await signable(request, options.bodyLimitBytes), () => key?.secret_key, nowMs, {
      maxSkewMs: options.maxClockSkewMs,
    });
    if (!result.ok) {
      if (accessKey && key) throttle.recordFailure(accessKey, nowMs);
      throw new ApiError("authenticationFailed", SIGNATURE_FAILURES[result.reason] ?? result.reason);
    }
    throttle.recordSuccess(result.accessKey);
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
  readonly #entries = new Map<string, { value: Promise<T>; until: number }>();
  constructor(private readonly ttlMs: number) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = performance.now();
    const hit = this.#entries.get(key);
    if (hit && hit.until > now) return hit.value;
    if (this.#entries.size > 10_000) this.#entries.clear();
    const value = load();
    this.#entries.set(key, { value, until: now + this.ttlMs });
    value.catch(() => this.#entries.delete(key));
    return value;
  }
}

/** Locks an access key after repeated signature failures, as APIGW does. Per process. */
class FailureThrottle {
  readonly #failures = new Map<string, { count: number; lockedUntil: number }>();
  constructor(
    private readonly limit: number,
    private readonly lockMs: number,
  ) {}

  isLocked(key: string, nowMs: number): boolean {
    return (this.#failures.get(key)?.lockedUntil ?? 0) > nowMs;
  }

  recordFailure(key: string, nowMs: number): void {
    const entry = this.#failures.get(key) ?? { count: 0, lockedUntil: 0 };
    entry.count += 1;
    if (entry.count >= this.limit) {
      entry.count = 0;
      entry.lockedUntil = nowMs + this.lockMs;
    }
    this.#failures.set(key, entry);
  }

  recordSuccess(key: string): void {
    this.#failures.delete(key);
  }
}
