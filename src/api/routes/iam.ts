import { randomBytes } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "typebox";
import type { FailureSubject } from "../../store/auth-failure-queries.js";
import { findIamUsers, type IamUserRow, insertApiToken } from "../../store/credential-queries.js";
import type { Store } from "../../store/database.js";
import { sha256Hex, verifyPassword } from "../../store/passwords.js";
import { authLimits } from "../auth-limits.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { FailureCounters } from "../failure-counters.js";
import { withErrors } from "../schemas/common.js";
import { sourceAddress } from "../source-address.js";

const Named = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 64 })),
  name: Type.Optional(Type.String({ maxLength: 64 })),
});

const TokenRequest = Type.Object({
  auth: Type.Object({
    identity: Type.Object({
      methods: Type.Array(Type.String({ enum: ["password"] }), { minItems: 1, maxItems: 4 }),
      password: Type.Object({
        user: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
          domain: Type.Optional(Named),
        }),
      }),
    }),
    scope: Type.Object({ project: Named }),
  }),
});

const TokenResponse = Type.Object({
  token: Type.Object({
    expires_at: Type.String(),
    issued_at: Type.String(),
    methods: Type.Array(Type.String()),
    project: Type.Object({
      id: Type.String(),
      name: Type.String(),
      domain: Type.Object({ id: Type.String(), name: Type.String() }),
    }),
    user: Type.Object({
      id: Type.String(),
      name: Type.String(),
      domain: Type.Object({ id: Type.String(), name: Type.String() }),
    }),
    roles: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
    catalog: Type.Array(Type.Object({}, { additionalProperties: true })),
  }),
});

/** IAM's time format: ISO 8601 with microseconds. */
const iamTime = (micros: number) => new Date(micros / 1000).toISOString().replace("Z", "000Z");

/**
 * The user this password belongs to in the scoped project, or undefined. Every attempt runs scrypt at least once (on
 * a stand-in hash when no user matches), so the answer's timing does not tell whether the user exists.
 */
async function passwordOwner(
  store: Store,
  user: { name: string; password: string },
  scope: Static<typeof Named>,
): Promise<IamUserRow | undefined> {
  const scoped = scope.id !== undefined || scope.name !== undefined;
  const candidates = (scoped ? await findIamUsers(store.db, user.name) : []).filter(
    (row) =>
      (scope.id === undefined || scope.id === row.project_id) &&
      (scope.name === undefined || scope.name === row.project_name),
  );
  if (candidates.length === 0) {
    await verifyPassword(user.password, undefined);
    return undefined;
  }
  let match: IamUserRow | undefined;
  for (const row of candidates) {
    if (await verifyPassword(user.password, row.password_hash)) match ??= row;
  }
  return match;
}

/**
 * `POST /v3/auth/tokens`, IAM's password method scoped to a project: the token comes back in `X-Subject-Token`, is
 * stored only as a hash, and expires. Guesses are limited twice: a request rate per address (per process), and a
 * backoff after repeated failures per user name and per address, counted in the database so replicas agree; both
 * answer 429 `APIGW.0308` with `Retry-After`. A locked attempt is refused before its password is checked.
 */
export function iamRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock, tokenTtlMs } = context;
  const limits = authLimits(context.authLimits);
  const counters = new FailureCounters(store, clock, limits.failures);
  return async (app) => {
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, limit) =>
        new ApiError("throttled", `too many requests from this address; retry in ${limit.after}`, {
          retryAfterSeconds: Math.max(1, Math.ceil(limit.ttl / 1000)),
        }),
    });
    app.post(
      "/v3/auth/tokens",
      {
        config: { rateLimit: { max: limits.tokenRequestsPerMinute, timeWindow: 60_000 } },
        schema: {
          operationId: "KeystoneCreateUserTokenByPassword",
          tags: ["iam"],
          summary: "Get a project-scoped token for a seed user (IAM password method).",
          body: TokenRequest,
          response: withErrors({ 201: TokenResponse }),
        },
      },
      async (request, reply) => {
        const { user } = request.body.auth.identity.password;
        const named: FailureSubject = { scope: "password-user", subject: user.name };
        const subjects: FailureSubject[] = [named, { scope: "password-address", subject: sourceAddress(request) }];
        const counts = await counters.read(subjects);
        const seconds = counters.lockedSeconds(counts);
        if (seconds > 0) {
          throw new ApiError("throttled", `too many failed sign-ins; retry in ${seconds} s`, {
            retryAfterSeconds: seconds,
          });
        }
        const match = await passwordOwner(store, user, request.body.auth.scope.project);
        if (!match) {
          await counters.record(subjects);
          throw new ApiError("authenticationFailed", "The username or password is wrong.");
        }
        // The address keeps its count: one good password must not reset the guesses it made at other users.
        if (counts.some((count) => count.scope === named.scope)) await counters.clear(named);
        const token = `MII${randomBytes(48).toString("base64url")}`;
        const now = clock.nowMicros();
        const expiresAt = now + tokenTtlMs * 1000;
        await insertApiToken(store.db, sha256Hex(token), match.project_id, expiresAt, now);
        const domain = { id: match.project_id, name: match.project_name };
        return reply
          .code(201)
          .header("x-subject-token", token)
          .send({
            token: {
              expires_at: iamTime(expiresAt),
              issued_at: iamTime(now),
              methods: ["password"],
              project: { id: match.project_id, name: match.project_name, domain },
              user: { id: sha256Hex(`${match.project_id}/${match.name}`).slice(0, 32), name: match.name, domain },
              roles: [{ id: "cce-admin", name: "cce_admin" }],
              catalog: [],
            },
          });
      },
    );
  };
}
