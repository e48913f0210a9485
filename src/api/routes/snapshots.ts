import { randomUUID } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type DisplayZone, formatGoTime } from "../../domain/go-time.js";
import { formatProgress } from "../../domain/upgrade-task.js";
import type { ClusterRow } from "../../store/cluster-queries.js";
import {
  ActiveSnapshotExistsError,
  insertSnapshotTask,
  listSnapshotTasks,
  type SnapshotTaskRow,
  UpgradeUnderWayError,
} from "../../store/snapshot-queries.js";
import type { ApiContext } from "../context.js";
import { ApiError } from "../errors.js";
import { lifecycle } from "../lifecycle-refusal.js";
import { requireCluster } from "../require-cluster.js";
import { ClusterParams, withErrors } from "../schemas/common.js";
import { CreateSnapshotResponse, SnapshotTaskList } from "../schemas/snapshot.js";

const SNAPSHOT = "/api/v3.1/projects/:project_id/clusters/:cluster_id/operation/snapshot";
const API_VERSION = "v3.1";

/** CreateClusterMasterSnapshot and ListClusterMasterSnapshotTasks (reference §4); the check runner moves the tasks. */
export function snapshotRoutes(context: ApiContext): FastifyPluginAsyncTypebox {
  const { store, clock, zone } = context;

  return async (app) => {
    app.post(
      SNAPSHOT,
      {
        schema: {
          operationId: "CreateClusterMasterSnapshot",
          summary: "Back up the control plane; no request body.",
          params: ClusterParams,
          response: withErrors({ 200: CreateSnapshotResponse }),
        },
      },
      async (request) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        if (cluster.phase !== "Available") {
          throw new ApiError(
            "clusterStateForbids",
            `cluster ${cluster.id} is ${cluster.phase}; only an Available cluster is backed up`,
          );
        }
        const id = randomUUID();
        const now = clock.nowMicros();
        try {
          await lifecycle(() =>
            insertSnapshotTask(store.db, {
              id,
              item_id: randomUUID(),
              project_id: cluster.project_id,
              cluster_id: cluster.id,
              phase: "Init",
              message: null,
              due_at: now,
              created_at: now,
              updated_at: now,
              completed_at: null,
            }),
          );
        } catch (error) {
          if (error instanceof ActiveSnapshotExistsError) {
            throw new ApiError("clusterLocked", `cluster ${cluster.id} already has a backup in progress`);
          }
          if (error instanceof UpgradeUnderWayError) {
            throw new ApiError("clusterLocked", `cluster ${cluster.id} has an upgrade under way; back it up after`);
          }
          throw error;
        }
        return { uid: id, metadata: { apiVersion: API_VERSION, kind: "SnapshotTask" } };
      },
    );

    app.get(
      `${SNAPSHOT}/tasks`,
      {
        schema: {
          operationId: "ListClusterMasterSnapshotTasks",
          params: ClusterParams,
          response: withErrors({ 200: SnapshotTaskList }),
        },
      },
      async (request) => {
        const cluster = await requireCluster(store.db, request.params.project_id, request.params.cluster_id);
        const tasks = await listSnapshotTasks(store.db, cluster.project_id, cluster.id);
        return snapshotListDocument(cluster, tasks, zone);
      },
    );
  };
}

/** The list's metadata is the cluster's backup history: its ID, and when a backup was last asked for or changed. */
function snapshotListDocument(cluster: ClusterRow, tasks: readonly SnapshotTaskRow[], zone: DisplayZone) {
  const latestBackup = tasks.find((task) => task.phase === "Success")?.completed_at;
  return {
    apiVersion: API_VERSION,
    kind: "List",
    metadata: {
      uid: cluster.id,
      creationTimestamp: formatGoTime(tasks.at(-1)?.created_at ?? cluster.created_at, zone),
      updateTimestamp: formatGoTime(Math.max(cluster.created_at, ...tasks.map((t) => t.updated_at)), zone),
    },
    items: tasks.map((task) => snapshotDocument(task, zone)),
    status: latestBackup ? { latestBackupTime: formatGoTime(latestBackup, zone) } : {},
  };
}

/** One backup task with its single `master-backup` sub-task. */
function snapshotDocument(task: SnapshotTaskRow, zone: DisplayZone) {
  const created = formatGoTime(task.created_at, zone);
  const updated = formatGoTime(task.updated_at, zone);
  return {
    kind: "SnapshotTask",
    apiVersion: API_VERSION,
    metadata: { uid: task.id, creationTimestamp: created, updateTimestamp: updated },
    spec: {
      items: [
        {
          id: task.item_id,
          type: "master-backup" as const,
          status: task.phase,
          creationTimestamp: created,
          updateTimestamp: updated,
          message: task.message ?? "",
        },
      ],
    },
    status: {
      phase: task.phase,
      progress: formatProgress(task.phase === "Success" ? 10_000 : 0),
      completionTime: formatGoTime(task.completed_at ?? task.updated_at, zone),
    },
  };
}
