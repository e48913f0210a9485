import { Type } from "typebox";
import { NODE_POOL_NAME_PATTERN } from "../../domain/cluster-lifecycle.js";
import { FreeObject, StringEnum } from "./common.js";

const VOLUME_TYPES = ["SAS", "SSD", "GPSSD", "ESSD", "SATA", "GPSSD2", "ESSD2"] as const;
const volume = (minimum: number, maximum: number) =>
  Type.Object({
    size: Type.Integer({ minimum, maximum, description: `GiB, ${minimum}-${maximum}.` }),
    volumetype: StringEnum(VOLUME_TYPES),
    extendParam: Type.Optional(FreeObject),
    metadata: Type.Optional(FreeObject),
    "hw:passthrough": Type.Optional(Type.Boolean()),
  });

const Tag = Type.String({ maxLength: 63 });

const Taints = Type.Array(
  Type.Object({
    key: Type.String({ minLength: 1, maxLength: 317 }),
    value: Type.Optional(Tag),
    effect: StringEnum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
  }),
  { maxItems: 20 },
);
const K8sTags = Type.Record(Type.String({ maxLength: 317 }), Tag, { maxProperties: 20 });
const UserTags = Type.Array(
  Type.Object({ key: Type.String({ maxLength: 128 }), value: Type.Optional(Type.String({ maxLength: 255 })) }),
  { maxItems: 8 },
);

/** A node template (`NodeSpec`) as CreateNodePool takes it. */
export const NodeTemplate = Type.Object({
  flavor: Type.String({ minLength: 1, maxLength: 50, description: "ECS flavor, e.g. `c7.large.2`." }),
  az: Type.String({ minLength: 1, maxLength: 64, description: "An availability zone, or `random`." }),
  os: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  login: Type.Object({
    sshKey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    userPassword: Type.Optional(
      Type.Object({
        username: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
        password: Type.String({ minLength: 1, maxLength: 1024 }),
      }),
    ),
  }),
  rootVolume: volume(40, 1024),
  dataVolumes: Type.Array(volume(100, 32768), { minItems: 1, maxItems: 16 }),
  count: Type.Optional(Type.Integer({ minimum: 0, maximum: 2000 })),
  billingMode: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
  taints: Type.Optional(Taints),
  k8sTags: Type.Optional(K8sTags),
  userTags: Type.Optional(UserTags),
  runtime: Type.Optional(Type.Object({ name: StringEnum(["docker", "containerd"]) })),
  storage: Type.Optional(FreeObject),
  publicIP: Type.Optional(FreeObject),
  nodeNicSpec: Type.Optional(FreeObject),
  extendParam: Type.Optional(FreeObject),
});

const PoolName = Type.String({
  pattern: NODE_POOL_NAME_PATTERN,
  description: "1-50 characters: lowercase letters, digits and hyphens, from a letter, not ending with a hyphen.",
});
const NodeCount = Type.Integer({ minimum: 0, maximum: 2000 });

export const CreateNodePoolBody = Type.Object({
  kind: Type.Literal("NodePool"),
  apiVersion: Type.Literal("v3"),
  metadata: Type.Object({ name: PoolName, annotations: Type.Optional(FreeObject) }),
  spec: Type.Object({
    type: Type.Optional(StringEnum(["vm", "ElasticBMS", "pm"])),
    nodeTemplate: NodeTemplate,
    initialNodeCount: Type.Optional(NodeCount),
    autoscaling: Type.Optional(FreeObject),
    nodeManagement: Type.Optional(FreeObject),
    podSecurityGroups: Type.Optional(Type.Array(FreeObject, { maxItems: 5 })),
    customSecurityGroups: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 5 })),
  }),
});

/** UpdateNodePool's body: the name, the node count (scaling) and the scaling settings. */
export const UpdateNodePoolBody = Type.Object({
  metadata: Type.Object({ name: PoolName }),
  spec: Type.Object({
    initialNodeCount: NodeCount,
    nodeTemplate: Type.Optional(
      Type.Object({
        taints: Type.Optional(Taints),
        k8sTags: Type.Optional(K8sTags),
        userTags: Type.Optional(UserTags),
      }),
    ),
    autoscaling: Type.Optional(FreeObject),
    type: Type.Optional(StringEnum(["vm", "ElasticBMS", "pm"])),
  }),
});

export const NodePoolParams = Type.Object({
  project_id: Type.String({ maxLength: 64 }),
  cluster_id: Type.String({ maxLength: 64 }),
  nodepool_id: Type.String({ maxLength: 64, description: "Node pool ID." }),
});

export const ListNodePoolsQuery = Type.Object({
  showDefaultNodePool: Type.Optional(Type.String({ maxLength: 16, description: "`true` lists `DefaultPool` too." })),
  errorStatus: Type.Optional(Type.String({ maxLength: 64 })),
});

const ResourceMetadata = Type.Object({
  name: Type.String(),
  uid: Type.String(),
  creationTimestamp: Type.String(),
  updateTimestamp: Type.String(),
  labels: Type.Optional(FreeObject),
  annotations: Type.Optional(FreeObject),
});

export const NodePool = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  metadata: ResourceMetadata,
  spec: Type.Object({
    type: Type.String(),
    nodeTemplate: FreeObject,
    initialNodeCount: Type.Integer(),
    autoscaling: FreeObject,
    nodeManagement: FreeObject,
    podSecurityGroups: Type.Optional(Type.Array(FreeObject)),
    customSecurityGroups: Type.Optional(Type.Array(Type.String())),
  }),
  status: Type.Object({
    currentNode: Type.Integer(),
    creatingNode: Type.Integer(),
    deletingNode: Type.Integer(),
    phase: Type.String({ description: "Empty when settled; `Synchronizing` while scaling; `Deleting`." }),
    jobId: Type.Optional(Type.String()),
  }),
});

export const NodePoolList = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  items: Type.Array(NodePool),
});

export const NodeParams = Type.Object({
  project_id: Type.String({ maxLength: 64 }),
  cluster_id: Type.String({ maxLength: 64 }),
  node_id: Type.String({ maxLength: 64, description: "Node ID." }),
});

export const DeleteNodeQuery = Type.Object({
  nodepoolScaleDown: Type.Optional(StringEnum(["NoScaleDown"])),
  errorStatus: Type.Optional(Type.String({ maxLength: 64 })),
});

export const Node = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  metadata: ResourceMetadata,
  spec: FreeObject,
  status: Type.Object({
    phase: Type.String(),
    jobID: Type.Optional(Type.String()),
    serverId: Type.String(),
    privateIP: Type.String(),
  }),
});

export const NodeList = Type.Object({ kind: Type.String(), apiVersion: Type.String(), items: Type.Array(Node) });
