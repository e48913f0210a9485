import { type Static, type TSchema, Type } from "typebox";
import { CheckGroupStatusSchema, NodeCheckStatusSchema } from "./check-result-schema.js";
import { CLUSTER_JOB_PHASES, CLUSTER_JOB_TYPES } from "./cluster-lifecycle.js";
import { DriverChoiceSchema } from "./driver-config.js";
import { StringEnum } from "./string-enum.js";
import { PRECHECK_PHASES } from "./upgrade-checks.js";
import { STEP_KINDS } from "./upgrade-plan.js";
import { UPGRADE_TASK_PHASES } from "./upgrade-task.js";

/**
 * A project's whole state as one document (`GET`/`PUT /ext/v1/projects/{project_id}/state`): every row of its
 * clusters, with the tasks, checks and the simulator's rows of each. Credentials and the operator's grants are not
 * part of it, nor the lease protocol's coordination (an upgrade task's lease owner, expiry and fencing token; the
 * simulator's remembered fences): a restore issues new ones. Instants are integer microseconds since the Unix epoch,
 * as stored. A public format: fields are added in a new `version`, never renamed. Version 2 added what the cluster
 * lifecycle API keeps (a cluster's and a pool's creation spec, the job IDs, a pool's phase, the clusters' jobs);
 * a version-1 document is read as one without them.
 */

const strict = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Micros = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Text = (maxLength = 256, minLength = 0) => Type.String({ minLength, maxLength });
const Id = Text(128, 1);
const TaskId = Text(64, 1);
const Version = Type.String({ pattern: "^v\\d{1,4}\\.\\d{1,4}(\\.\\d{1,4})?(-r\\d{1,4})?$" });
const StepKind = StringEnum(STEP_KINDS);
const StepPhase = StringEnum(["Init", "Running", "Success", "Failed"]);
/** Objects a client sent and the service kept as they were (an upgrade's request): keys beyond these are kept too. */
const open = { additionalProperties: true } as const;

const StepFailure = Type.Object({ code: Text(), message: Text(4096), retryable: Type.Boolean() }, strict);

const PlanTarget = Type.Object(
  {
    name: Text(),
    id: Type.Optional(Id),
    pool: Type.Optional(Id),
    fromVersion: Text(64),
    toVersion: Text(64),
    phase: StepPhase,
    finishedAt: Nullable(Micros),
  },
  strict,
);

const PlanStep = Type.Object(
  {
    kind: StepKind,
    name: Text(),
    batch: Type.Optional(Type.Integer({ minimum: 1 })),
    weight: Type.Number({ minimum: 0 }),
    targets: Type.Array(PlanTarget),
    phase: StepPhase,
    attempts: Count,
    runFromAttempt: Type.Optional(Type.Integer({ minimum: 1 })),
    startedAt: Nullable(Micros),
    finishedAt: Nullable(Micros),
    error: Nullable(StepFailure),
  },
  strict,
);

const UpgradePlan = Type.Object({ steps: Type.Array(PlanStep) }, strict);

const NodePriority = Type.Object(
  {
    nodeSelector: Type.Object(
      { key: Text(317, 1), value: Type.Optional(Type.Array(Text(63))), operator: Text(8, 1) },
      open,
    ),
    priority: Type.Integer(),
  },
  open,
);

/** The accepted `clusterUpgradeAction` with its defaults filled in, as the engine plans from it. */
const UpgradeRequest = Type.Object(
  {
    targetVersion: Version,
    strategy: Type.Object(
      {
        type: Type.Literal("inPlaceRollingUpdate"),
        inPlaceRollingUpdate: Type.Object(
          { userDefinedStep: Type.Integer({ minimum: 1, maximum: 120 }), scope: StringEnum(["Cluster", "NodePool"]) },
          strict,
        ),
      },
      strict,
    ),
    addons: Type.Optional(
      Type.Array(
        Type.Object(
          {
            addonTemplateName: Text(64, 1),
            operation: Type.Literal("patch"),
            version: Text(64, 1),
            values: Type.Optional(Type.Object({}, open)),
          },
          open,
        ),
      ),
    ),
    nodeOrder: Type.Optional(Type.Record(Type.String(), Type.Array(NodePriority))),
    nodePoolOrder: Type.Optional(Type.Record(Type.String(), Type.Integer())),
    isOnlyUpgrade: Type.Optional(Type.Boolean()),
    agencyName: Type.Optional(Text(64)),
  },
  open,
);

const UpgradeTaskState = Type.Object(
  {
    id: TaskId,
    phase: StringEnum(UPGRADE_TASK_PHASES),
    fromVersion: Version,
    targetVersion: Version,
    targetPlatformVersion: Text(64, 1),
    request: UpgradeRequest,
    plan: Nullable(UpgradePlan),
    stepCursor: Count,
    progress: Type.Integer({ minimum: 0, maximum: 10_000, description: "Hundredths of a percent." }),
    failureReason: Nullable(Text(4096)),
    requestedControl: Nullable(Type.Literal("pause")),
    driver: Nullable(DriverChoiceSchema),
    createdAt: Micros,
    updatedAt: Micros,
    completedAt: Nullable(Micros),
  },
  strict,
);

const SkippedCheckItem = Type.Object(
  {
    name: Type.Optional(Text(128, 1)),
    resourceSelector: Type.Optional(
      Type.Object({ key: Text(64), values: Type.Optional(Type.Array(Text(64))), operator: Text(16) }, open),
    ),
  },
  open,
);

/** A runner's moves and their times, as pre-checks, backups and lifecycle jobs carry them. */
const RunnerMoves = {
  fence: Type.Integer({ minimum: 0, description: "Moves so far: the runner's attempt counter." }),
  dueAt: Micros,
  createdAt: Micros,
  updatedAt: Micros,
  completedAt: Nullable(Micros),
};

/** What a pre-check and a backup share: the runner's moves and their times. */
const CheckTaskMoves = { message: Nullable(Text(4096)), ...RunnerMoves };

const PrecheckState = Type.Object(
  {
    id: TaskId,
    phase: StringEnum(PRECHECK_PHASES),
    clusterVersion: Version,
    targetVersion: Version,
    skippedItems: Type.Array(SkippedCheckItem),
    result: Nullable(
      Type.Object(
        {
          clusterCheckStatus: CheckGroupStatusSchema,
          addonCheckStatus: CheckGroupStatusSchema,
          nodeCheckStatus: NodeCheckStatusSchema,
        },
        strict,
      ),
    ),
    ...CheckTaskMoves,
    expiresAt: Nullable(Micros),
  },
  strict,
);

const SnapshotState = Type.Object(
  {
    id: TaskId,
    itemId: Id,
    phase: StringEnum(["Init", "Running", "Success", "Failed"]),
    ...CheckTaskMoves,
  },
  strict,
);

const PostcheckState = Type.Object(
  {
    id: TaskId,
    clusterVersion: Version,
    targetVersion: Version,
    phase: StringEnum(["Success", "Failed"]),
    message: Nullable(Text(4096)),
    createdAt: Micros,
  },
  strict,
);

const WorkflowState = Type.Object(
  {
    id: TaskId,
    clusterVersion: Version,
    targetVersion: Version,
    cancelledAt: Nullable(Micros),
    createdAt: Micros,
    updatedAt: Micros,
  },
  strict,
);

const FaultState = Type.Object(
  {
    id: Id,
    step: StepKind,
    target: Nullable(Text(256, 1)),
    mode: StringEnum(["fail", "stall"]),
    remaining: Count,
    error: Text(128, 1),
    message: Text(1024),
    retryable: Type.Boolean(),
    stallMs: Count,
    createdAt: Micros,
  },
  strict,
);

const SimulatorState = Type.Object(
  {
    targets: Type.Array(
      Type.Object({ kind: StepKind, name: Text(256, 1), version: Text(64), updatedAt: Micros }, strict),
    ),
    applyLog: Type.Array(
      Type.Object(
        {
          id: Id,
          taskId: TaskId,
          stepIndex: Count,
          stepKind: StepKind,
          target: Text(),
          run: Count,
          attempt: Count,
          outcome: StringEnum(["changed", "unchanged", "failed", "fenced"]),
          fromVersion: Text(64),
          toVersion: Text(64),
          at: Micros,
        },
        strict,
      ),
    ),
  },
  { ...strict, description: "What the simulated cluster runs, and its log of apply calls." },
);

/** Objects a tenant sent as they were, inside a creation spec: bounded as a whole by SPEC_MAX_JSON_CHARS. */
const FreeObject = Type.Object({}, open);
const StringMap = Type.Record(Type.String(), Type.String());

/**
 * What CreateCluster keeps beyond the columns, as ShowCluster shows it: the keys it writes, those ShowCluster
 * requires among them. Null: a seeded cluster, shown with defaults.
 */
const ClusterSpec = Type.Object(
  {
    alias: Type.Optional(Text(128)),
    annotations: Type.Optional(StringMap),
    labels: Type.Optional(StringMap),
    customSan: Type.Optional(Type.Array(Text(253))),
    ipv6enable: Type.Optional(Type.Boolean()),
    hostNetwork: Type.Object({ vpc: Text(64, 1), subnet: Text(64, 1), SecurityGroup: Type.Optional(Text(64)) }, open),
    containerNetwork: Type.Object(
      { mode: Text(64, 1), cidr: Text(64), cidrs: Type.Optional(Type.Array(Type.Object({ cidr: Text(64) }, open))) },
      open,
    ),
    eniNetwork: Type.Optional(FreeObject),
    authentication: Type.Object({ mode: Text(64, 1), authenticatingProxy: Type.Optional(FreeObject) }, open),
    billingMode: Type.Integer(),
    masters: Type.Optional(Type.Array(Type.Object({ availabilityZone: Text(64, 1) }, open))),
    kubernetesSvcIpRange: Text(64),
    kubeProxyMode: Text(64),
    az: Text(64),
    supportIstio: Type.Optional(Type.Boolean()),
    extendParam: Type.Optional(FreeObject),
  },
  strict,
);

/** What CreateNodePool keeps, scaled by UpdateNodePool, as ShowNodePool shows it. Null: a seeded pool. */
const NodePoolSpec = Type.Object(
  {
    type: Text(64, 1),
    nodeTemplate: Type.Object({ k8sTags: Type.Optional(StringMap) }, open),
    initialNodeCount: Count,
    autoscaling: Type.Optional(FreeObject),
    nodeManagement: Type.Optional(FreeObject),
    podSecurityGroups: Type.Optional(Type.Array(FreeObject)),
    customSecurityGroups: Type.Optional(Type.Array(Text(64))),
  },
  strict,
);

/** Longest a restored creation spec may be, as JSON: a tenant wrote it. */
export const SPEC_MAX_JSON_CHARS = 65_536;

const JobId = Nullable(Text(64, 1));

const ClusterJobState = Type.Object(
  {
    id: Text(64, 1),
    clusterId: Text(64, 1),
    type: StringEnum(CLUSTER_JOB_TYPES),
    resourceId: Id,
    resourceName: Text(256, 1),
    phase: StringEnum(CLUSTER_JOB_PHASES),
    reason: Nullable(Text(4096)),
    ...RunnerMoves,
  },
  { ...strict, description: "A lifecycle job of the cluster (ShowJob)." },
);

const ClusterState = Type.Object(
  {
    id: Type.String({ pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" }),
    name: Text(128, 1),
    version: Version,
    platformVersion: Text(64, 1),
    phase: Text(64, 1),
    flavor: Text(64, 1),
    type: Text(64, 1),
    category: Text(64, 1),
    description: Text(4096),
    controlPlaneVersion: Nullable(Version),
    statusReason: Nullable(Text(4096)),
    createdAt: Micros,
    updatedAt: Micros,
    spec: Type.Optional(Nullable(ClusterSpec)),
    jobId: Type.Optional(JobId),
    driver: Nullable(
      Type.Object({ choice: DriverChoiceSchema, updatedAt: Micros }, { ...strict, description: "Null: simulator." }),
    ),
    nodePools: Type.Array(
      Type.Object(
        {
          id: Text(64, 1),
          name: Text(64, 1),
          createdAt: Micros,
          spec: Type.Optional(Nullable(NodePoolSpec)),
          jobId: Type.Optional(JobId),
          phase: Type.Optional(StringEnum(["", "Synchronizing", "Deleting"], { description: "Empty: settled." })),
        },
        strict,
      ),
    ),
    nodes: Type.Array(
      Type.Object(
        {
          id: Id,
          poolId: Text(64, 1),
          name: Text(256, 1),
          version: Version,
          status: Text(64, 1),
          labels: Type.Record(Type.String(), Type.String()),
          createdAt: Micros,
          updatedAt: Micros,
          jobId: Type.Optional(JobId),
        },
        strict,
      ),
    ),
    addons: Type.Array(Type.Object({ name: Text(64, 1), version: Text(64, 1), updatedAt: Micros }, strict)),
    deprecatedApis: Type.Array(
      Type.Object({ url: Text(1024, 1), userAgent: Text(1024), removedIn: Nullable(Version) }, strict),
    ),
    faults: Type.Array(FaultState),
    upgradeTasks: Type.Array(UpgradeTaskState),
    prechecks: Type.Array(PrecheckState),
    snapshots: Type.Array(SnapshotState),
    postchecks: Type.Array(PostcheckState),
    workflows: Type.Array(WorkflowState),
    jobs: Type.Optional(Type.Array(ClusterJobState)),
    simulator: SimulatorState,
  },
  strict,
);

/** The version an export writes; a restore reads this one and every earlier one. */
export const PROJECT_STATE_VERSION = 2;

export const ProjectStateSchema = Type.Object(
  {
    kind: Type.Literal("ProjectState"),
    version: Type.Union([Type.Literal(1), Type.Literal(PROJECT_STATE_VERSION)], {
      description: "Version of this document's format.",
    }),
    projectId: Type.String({ pattern: "^[0-9a-f]{32}$" }),
    clusters: Type.Array(ClusterState),
  },
  { ...strict, title: "ProjectState", description: "A project's whole state, as exported and restored." },
);

export type ProjectState = Static<typeof ProjectStateSchema>;
export type ClusterState = ProjectState["clusters"][number];
