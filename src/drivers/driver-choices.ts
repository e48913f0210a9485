import type { DriverChoice, DriverProfile } from "../domain/driver-config.js";

/** A cluster's name, project and driver choice, as the driver router needs them. */
export interface ClusterDriverRow {
  readonly clusterName: string;
  readonly projectId: string;
  readonly choice: DriverChoice;
}

/** Where the router reads which driver runs what: a narrow port, so drivers never touch the service's tables. */
export interface DriverChoices {
  /** The choice a task runs (the copy made when it was created); undefined for an unknown task. */
  forTask(taskId: string): Promise<ClusterDriverRow | undefined>;
  /** The cluster's choice now; undefined for an unknown cluster. */
  forCluster(clusterId: string): Promise<ClusterDriverRow | undefined>;
  /** The operator's profile of that name, if the seed gives it to the project. */
  profile(projectId: string, name: string): Promise<DriverProfile | undefined>;
}
