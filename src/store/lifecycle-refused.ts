/**
 * A lifecycle request the cluster's state refuses, nothing written: `upgrading` (an upgrade is under way), `state`
 * (the cluster or pool is not settled: being created, deleted or scaled, or checked), `conflict` (a name in use),
 * `gone` (deleted meanwhile), `tooManyNodes` (more than the cluster's flavor manages).
 */
export class LifecycleRefusedError extends Error {
  constructor(
    readonly reason: "upgrading" | "state" | "conflict" | "gone" | "tooManyNodes",
    message: string,
  ) {
    super(message);
  }
}
