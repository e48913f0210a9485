import { Type } from "typebox";
import { StringEnum, TaskMetadata } from "./common.js";

/** `SnapshotSpecItems.status` and `SnapshotStatus.phase`. */
export const SNAPSHOT_PHASES = ["Init", "Queuing", "Running", "Pause", "Success", "Failed"] as const;

export const CreateSnapshotResponse = Type.Object({
  uid: Type.String({ description: "Backup task ID (terraform reads the top-level uid)." }),
  metadata: Type.Object({ apiVersion: Type.String(), kind: Type.String() }),
});

const SnapshotTask = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  metadata: TaskMetadata,
  spec: Type.Object({
    items: Type.Array(
      Type.Object({
        id: Type.String(),
        type: StringEnum(["master-backup", "master-backup-rollback"]),
        status: StringEnum(SNAPSHOT_PHASES),
        creationTimestamp: Type.String(),
        updateTimestamp: Type.String(),
        message: Type.String(),
      }),
    ),
  }),
  status: Type.Object({
    phase: StringEnum(SNAPSHOT_PHASES),
    progress: Type.String(),
    completionTime: Type.String(),
  }),
});

export const SnapshotTaskList = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: TaskMetadata,
  items: Type.Array(SnapshotTask),
  status: Type.Object({
    latestBackupTime: Type.Optional(Type.String({ description: "Absent until a backup has succeeded." })),
  }),
});
