import { BoundedMap } from "../domain/bounded-map.js";
import type { Clock } from "../domain/clock.js";
import type { PlanTarget } from "../domain/upgrade-plan.js";
import type { ClusterDriver, StepContext, TargetOutcome } from "../engine/ports.js";
import { findClusterDriver } from "../store/cluster-driver-queries.js";
import type { Store } from "../store/database.js";
import { HookDriver, type HookLogger } from "./hook-driver.js";
import type { HookNetwork } from "./webhook-network.js";

/** Tasks whose driver is remembered; older ones are read again when they come back. */
const REMEMBERED_TASKS = 4096;

/**
 * The engine's one driver: sends each step to the driver its cluster is configured with, the simulator unless the
 * cluster has hooks. The choice is read once per task (the API refuses to change it under an active task), so a
 * batch of many targets costs one query.
 */
export class ClusterDriverRouter implements ClusterDriver {
  readonly #byTask = new BoundedMap<string, Promise<ClusterDriver>>(REMEMBERED_TASKS);

  constructor(
    private readonly store: Store,
    private readonly simulator: ClusterDriver,
    private readonly clock: Clock,
    private readonly log: HookLogger,
    private readonly network: HookNetwork,
  ) {}

  async observe(context: StepContext, target: Readonly<PlanTarget>): Promise<boolean> {
    return (await this.#driverFor(context)).observe(context, target);
  }

  async apply(context: StepContext, target: Readonly<PlanTarget>, signal: AbortSignal): Promise<TargetOutcome> {
    return (await this.#driverFor(context)).apply(context, target, signal);
  }

  #driverFor(context: StepContext): Promise<ClusterDriver> {
    let driver = this.#byTask.get(context.taskId);
    if (!driver) {
      driver = this.#load(context.clusterId);
      // A failed read is not remembered: the next step asks again.
      driver.catch(() => this.#byTask.delete(context.taskId));
      this.#byTask.set(context.taskId, driver);
    }
    return driver;
  }

  async #load(clusterId: string): Promise<ClusterDriver> {
    const row = await findClusterDriver(this.store.db, clusterId);
    if (row?.config.type !== "hook") return this.simulator;
    return new HookDriver(row.config, row.clusterName, this.store, this.clock, this.log, this.network);
  }
}
