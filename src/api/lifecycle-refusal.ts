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
