import type { FastifyRequest, onRequestHookHandler } from "fastify";
import type { Clock } from "../domain/clock.js";
import { projectOfToken } from "../store/credential-queries.js";
import type { Store } from "../store/database.js";
import { sha256Hex } from "../store/seed-file.js";
import { ApiError } from "./errors.js";

/** Who a request acts for: every credential belongs to exactly one project. */
export interface Principal {
  readonly projectId: string;
}

/** One way of proving who a request is from; throws an `ApiError` (APIGW.0301) when it cannot. */
export interface Authenticator {
  authenticate(request: FastifyRequest): Promise<Principal>;
}

/** `X-Auth-Token` authentication against the stored tokens. */
export function tokenAuthenticator(store: Store, clock: Clock): Authenticator {
  return {
    async authenticate(request) {
      const token = request.headers["x-auth-token"];
      if (typeof token !== "string" || token === "") {
        throw new ApiError("authenticationFailed", "x-auth-token not found");
      }
      const projectId = await projectOfToken(store.db, sha256Hex(token), clock.nowMicros());
      if (!projectId) throw new ApiError("authenticationFailed", "decrypt token fail");
      return { projectId };
    },
  };
}

/**
 * The hook guarding CCE routes: authenticate, then refuse any project but the credential's own. The refusal is the
 * same whether or not the other project or its resources exist, so it reveals nothing.
 */
export function requireProjectCredential(authenticator: Authenticator): onRequestHookHandler {
  return async (request) => {
    const principal = await authenticator.authenticate(request);
    const projectId = (request.params as { project_id?: string }).project_id;
    if (projectId !== undefined && projectId !== principal.projectId) {
      throw new ApiError("notAuthorized", `the credential is not valid for project ${projectId}`);
    }
  };
}
