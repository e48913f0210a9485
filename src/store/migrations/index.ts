import type { Migration } from "kysely";
import * as initial from "./0001-initial.js";
import * as engine from "./0002-engine.js";
import * as iamUsers from "./0003-iam-users.js";
import * as checksAndWorkflows from "./0004-checks-and-workflows.js";
import * as clusterDrivers from "./0005-cluster-drivers.js";
import * as driverProfiles from "./0006-driver-profiles.js";
import * as authFailures from "./0007-auth-failures.js";
import * as claimIndex from "./0008-claim-index.js";
import * as simulatorApplyLog from "./0010-simulator-apply-log.js";
import * as taskDriver from "./0011-task-driver.js";
import * as projectSeeds from "./0012-project-seeds.js";
import * as clusterLifecycle from "./0013-cluster-lifecycle.js";
import * as taskChangeNotifications from "./0014-task-change-notifications.js";

/** Every migration, in order; names sort in application order. */
export const MIGRATIONS: Record<string, Migration> = {
  "0001-initial": initial,
  "0002-engine": engine,
  "0003-iam-users": iamUsers,
  "0004-checks-and-workflows": checksAndWorkflows,
  "0005-cluster-drivers": clusterDrivers,
  "0006-driver-profiles": driverProfiles,
  "0007-auth-failures": authFailures,
  "0008-claim-index": claimIndex,
  "0010-simulator-apply-log": simulatorApplyLog,
  "0011-task-driver": taskDriver,
  "0012-project-seeds": projectSeeds,
  "0013-cluster-lifecycle": clusterLifecycle,
  "0014-task-change-notifications": taskChangeNotifications,
};
