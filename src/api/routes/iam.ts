import { randomBytes } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { findIamUsers, insertApiToken } from "../../store/credential-queries.js";
import { sha256Hex, verifyPassword } from "../../store/passwords.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { withErrors } from "../schemas/common.js";

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
 * `POST /v3/auth/tokens`, IAM's password method scoped to a project: the token comes back in `X-Subject-Token`, is
 * stored only as a hash, and expires.
 */
export function iamRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock, tokenTtlMs } = context;
  return async (app) => {
    app.post(
      "/v3/auth/tokens",
      {
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
        const scope = request.body.auth.scope.project;
        const candidates = await findIamUsers(store.db, user.name);
        let match: (typeof candidates)[number] | undefined;
        for (const row of candidates) {
          if (scope.id !== undefined && scope.id !== row.project_id) continue;
          if (scope.name !== undefined && scope.name !== row.project_name) continue;
          if (await verifyPassword(user.password, row.password_hash)) match ??= row;
        }
        if (!match || (scope.id === undefined && scope.name === undefined)) {
          throw new ApiError("authenticationFailed", "The username or password is wrong.");
        }
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
