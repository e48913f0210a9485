import { BoundedMap } from "../domain/bounded-map.js";
import type { Clock } from "../domain/clock.js";
import { isKubernetesProfile, type KubernetesDriverConfig } from "../domain/driver-config.js";
import type { ClusterInspection } from "../domain/upgrade-checks.js";
import type { PlanTarget, StepFailure } from "../domain/upgrade-plan.js";
import type {
  ClusterCheckDriver,
  ClusterDriver,
  ClusterDriverLookup,
  InspectionRequest,
  StepContext,
  TargetOutcome,
  TaskOfCluster,
} from "../engine/ports.js";
import type { ClusterDriverRow, DriverChoices } from "./driver-choices.js";
import { HookDriver, type HookLogger } from "./hook-driver.js";
import { clientNodeApi } from "./kubernetes-api.js";
import { KubernetesDriver } from "./kubernetes-driver.js";
import type { HookNetwork } from "./webhook-network.js";

/** Tasks whose driver is remembered; older ones are read again when they come back. */
const REMEMBERED_TASKS = 4096;

/**
 * The engine's one driver: sends each step to the driver its task was created with (a copy of the cluster's choice),
 * the simulator unless that was a driver profile. A later change of the cluster's driver never reaches a task under
 * way. The choice is read once per task, so a batch of many targets costs one query. Pre-checks and backups, which
 * are not upgrade tasks, use the cluster's current choice.
 */
export class ClusterDriverRouter implements ClusterDriver, ClusterDriverLookup {
  readonly #byTask = new BoundedMap<string, Promise<ClusterCheckDriver>>(REMEMBERED_TASKS);

  constructor(
    private readonly choices: DriverChoices,
    private readonly simulator: ClusterCheckDriver,
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

  async inspect(
    context: StepContext,
    target: Readonly<PlanTarget>,
    request: InspectionRequest,
    signal: AbortSignal,
  ): Promise<ClusterInspection> {
    return (await this.#driverFor(context)).inspect(context, target, request, signal);
  }

  /** The pause after a step, where the task's driver has one (a kubernetes profile's soak after a node batch). */
  async settle(context: StepContext, signal: AbortSignal): Promise<StepFailure | undefined> {
    return (await this.#driverFor(context)).settle?.(context, signal);
  }

  /** The task's node loads where its driver reads them; none (every node alike) otherwise. */
  async nodeLoads(task: TaskOfCluster): Promise<ReadonlyMap<string, number>> {
    return (await (await this.#driverFor(task)).nodeLoads?.(task)) ?? new Map();
  }

  async forCluster(clusterId: string): Promise<ClusterCheckDriver> {
    return this.#driverOf(await this.choices.forCluster(clusterId));
  }

  #driverFor(context: TaskOfCluster): Promise<ClusterCheckDriver> {
    let driver = this.#byTask.get(context.taskId);
    if (!driver) {
      const loading = this.#load(context.taskId);
      // A failed read or a missing profile is not remembered: the next step (or a retry) asks again.
      const forget = () => {
        if (this.#byTask.get(context.taskId) === loading) this.#byTask.delete(context.taskId);
      };
      loading.then((loaded) => loaded instanceof RefusingDriver && forget(), forget);
      this.#byTask.set(context.taskId, loading);
      driver = loading;
    }
    return driver;
  }

  async #load(taskId: string): Promise<ClusterCheckDriver> {
    return this.#driverOf(await this.choices.forTask(taskId));
  }

  async #driverOf(row: ClusterDriverRow | undefined): Promise<ClusterCheckDriver> {
    if (row?.choice.type !== "profile") return this.simulator;
    const profile = await this.choices.profile(row.projectId, row.choice.profile);
    if (!profile) return new RefusingDriver(profileUnavailable(row.choice.profile));
    if (isKubernetesProfile(profile)) return this.#kubernetesDriver(profile, row);
    return new HookDriver(profile, row.clusterName, this.clock, this.log, this.network);
  }

  async #kubernetesDriver(profile: KubernetesDriverConfig, row: ClusterDriverRow): Promise<ClusterCheckDriver> {
    try {
      const api = await clientNodeApi(profile);
      return new KubernetesDriver(api, profile, row.clusterName, this.clock, this.log, this.network);
    } catch (error) {
      // The path and the file's contents are the operator's: the log has them, the tenant a fixed reason.
      this.log.warn(
        { err: error, clusterName: row.clusterName },
        "the kubernetes profile's kubeconfig cannot be loaded",
      );
      return new RefusingDriver(KUBECONFIG_UNUSABLE);
    }
  }
}

const KUBECONFIG_UNUSABLE: StepFailure = {
  code: "KubeconfigUnusable",
  message: "the cluster's kubernetes driver profile has a kubeconfig the server cannot load; the server log says why",
  retryable: false,
};

/**
 * The cluster chose a profile the seed no longer gives its project. Its steps fail rather than fall back to the
 * simulator, which would report a real cluster upgraded when nothing touched it.
 */
function profileUnavailable(profile: string): StepFailure {
  return {
    code: "DriverProfileUnavailable",
    message: `driver profile ${JSON.stringify(profile)} is not one the seed file gives this cluster's project; retry once the operator restores it`,
    retryable: false,
  };
}

/** Does nothing and says so: every target is not done, and applying it or inspecting the cluster fails. */
class RefusingDriver implements ClusterCheckDriver {
  constructor(private readonly failure: StepFailure) {}

  async observe(): Promise<boolean> {
    return false;
  }

  async apply(): Promise<TargetOutcome> {
    return { ok: false, failure: this.failure };
  }

  async inspect(): Promise<ClusterInspection> {
    return { ok: false, failure: this.failure };
  }
}
