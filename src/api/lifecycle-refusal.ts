import { nestsDeeperThan } from "../domain/json-depth.js";
import { SPEC_MAX_JSON_CHARS } from "../domain/project-state.js";
import { LifecycleRefusedError } from "../store/lifecycle-refused.js";
import { ApiError, type ErrorName } from "./errors.js";

const REFUSALS: Readonly<Record<LifecycleRefusedError["reason"], ErrorName>> = {
  upgrading: "clusterUpgrading",
  state: "clusterStateForbids",
  conflict: "resourceExists",
  gone: "resourceNotFound",
  tooManyNodes: "tooManyNodes",
};

/** Runs a lifecycle write, answering a refusal by the cluster's state as CCE does. */
export async function lifecycle<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof LifecycleRefusedError) throw new ApiError(REFUSALS[error.reason], error.message);
    throw error;
  }
}

/** How deep a kept creation spec may nest: its place in an exported state document must stay within that one's bound. */
const SPEC_MAX_DEPTH = 32;

/** Refuses a creation spec an export of the project could not restore: too long or too deep. */
export function requireStorableSpec(spec: object, what: string): void {
  if (JSON.stringify(spec).length > SPEC_MAX_JSON_CHARS) {
    throw new ApiError("invalidRequest", `${what} is longer than ${SPEC_MAX_JSON_CHARS} characters as JSON`);
  }
  if (nestsDeeperThan(spec, SPEC_MAX_DEPTH)) {
    throw new ApiError("invalidRequest", `${what} nests deeper than ${SPEC_MAX_DEPTH} levels`);
  }
}
