import { Type } from "typebox";
import { CLUSTER_FLAVORS, CLUSTER_NAME_PATTERN } from "../../domain/cluster-lifecycle.js";
import { FreeObject, StringEnum } from "./common.js";

const StringMap = Type.Record(Type.String({ maxLength: 253 }), Type.String({ maxLength: 1024 }), { maxProperties: 64 });

const HostNetwork = Type.Object({
  vpc: Type.String({ minLength: 1, maxLength: 64 }),
  subnet: Type.String({ minLength: 1, maxLength: 64 }),
  SecurityGroup: Type.Optional(Type.String({ maxLength: 64 })),
});

const ContainerNetwork = Type.Object({
  mode: StringEnum(["overlay_l2", "vpc-router", "eni"]),
  cidr: Type.Optional(Type.String({ maxLength: 64 })),
  cidrs: Type.Optional(
    Type.Array(Type.Object({ cidr: Type.String({ maxLength: 64 }) }), { minItems: 1, maxItems: 20 }),
  ),
});

const Authentication = Type.Object({
  mode: StringEnum(["rbac", "authenticating_proxy"]),
  authenticatingProxy: Type.Optional(FreeObject),
});

/** A display name: the name's rule; empty in an update means "unchanged". */
const Alias = Type.String({ pattern: "^([a-z][a-z0-9-]{2,126}[a-z0-9])?$", maxLength: 128 });

const CustomSan = Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 128 });

export const Cluster = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  metadata: Type.Object({
    name: Type.String(),
    uid: Type.String(),
    alias: Type.Optional(Type.String()),
    creationTimestamp: Type.String(),
    updateTimestamp: Type.String(),
    annotations: FreeObject,
    labels: FreeObject,
  }),
  spec: Type.Object({
    category: Type.String(),
    type: Type.String(),
    flavor: Type.String(),
    version: Type.String(),
    platformVersion: Type.String(),
    description: Type.String(),
    customSan: Type.Optional(Type.Array(Type.String())),
    ipv6enable: Type.Optional(Type.Boolean()),
    hostNetwork: Type.Object({
      vpc: Type.String(),
      subnet: Type.String(),
      SecurityGroup: Type.Optional(Type.String()),
    }),
    containerNetwork: Type.Object({
      mode: Type.String(),
      cidr: Type.String(),
      cidrs: Type.Optional(Type.Array(Type.Object({ cidr: Type.String() }))),
    }),
    eniNetwork: Type.Optional(FreeObject),
    authentication: Type.Object({ mode: Type.String(), authenticatingProxy: Type.Optional(FreeObject) }),
    billingMode: Type.Integer(),
    masters: Type.Optional(Type.Array(Type.Object({ availabilityZone: Type.String() }))),
    kubernetesSvcIpRange: Type.String(),
    kubeProxyMode: Type.String(),
    az: Type.String(),
    supportIstio: Type.Optional(Type.Boolean()),
    extendParam: FreeObject,
  }),
  status: Type.Object({
    phase: Type.String(),
    jobID: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    endpoints: Type.Array(Type.Object({ url: Type.String(), type: Type.String() })),
  }),
});

export const ClusterList = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  items: Type.Array(Cluster),
});

export const ListClustersQuery = Type.Object({
  detail: Type.Optional(Type.String({ maxLength: 16 })),
  status: Type.Optional(Type.String({ maxLength: 64 })),
  type: Type.Optional(Type.String({ maxLength: 64 })),
  version: Type.Optional(Type.String({ maxLength: 64 })),
  errorStatus: Type.Optional(Type.String({ maxLength: 64 })),
});

export const ShowClusterQuery = Type.Object({
  detail: Type.Optional(Type.String({ maxLength: 16 })),
  errorStatus: Type.Optional(Type.String({ maxLength: 64 })),
});

/** CreateCluster's body: the SDK's `Cluster` model. Keys it does not know are ignored, as CCE ignores them. */
export const CreateClusterBody = Type.Object({
  kind: Type.Literal("Cluster"),
  apiVersion: Type.Literal("v3"),
  metadata: Type.Object({
    name: Type.String({
      pattern: CLUSTER_NAME_PATTERN,
      description:
        "4-128 characters: lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen.",
    }),
    alias: Type.Optional(Alias),
    annotations: Type.Optional(StringMap),
    labels: Type.Optional(StringMap),
  }),
  spec: Type.Object({
    category: Type.Optional(StringEnum(["CCE", "Turbo"])),
    type: Type.Optional(StringEnum(["VirtualMachine", "ARM64"])),
    flavor: StringEnum(CLUSTER_FLAVORS),
    version: Type.Optional(
      Type.String({
        maxLength: 64,
        description: "A catalogue version; `v1.28` means its newest patch; absent: the newest.",
      }),
    ),
    platformVersion: Type.Optional(Type.String({ maxLength: 64 })),
    description: Type.Optional(Type.String({ maxLength: 200 })),
    customSan: Type.Optional(CustomSan),
    ipv6enable: Type.Optional(Type.Boolean()),
    hostNetwork: HostNetwork,
    containerNetwork: ContainerNetwork,
    eniNetwork: Type.Optional(FreeObject),
    authentication: Type.Optional(Authentication),
    billingMode: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
    masters: Type.Optional(
      Type.Array(Type.Object({ availabilityZone: Type.String({ minLength: 1, maxLength: 64 }) }), {
        minItems: 1,
        maxItems: 3,
      }),
    ),
    kubernetesSvcIpRange: Type.Optional(Type.String({ maxLength: 64 })),
    kubeProxyMode: Type.Optional(StringEnum(["iptables", "ipvs"])),
    az: Type.Optional(Type.String({ maxLength: 64 })),
    supportIstio: Type.Optional(Type.Boolean()),
    extendParam: Type.Optional(FreeObject),
  }),
});

/** UpdateCluster's body (`ClusterInformation`): only what changes without a rebuild. */
export const UpdateClusterBody = Type.Object({
  metadata: Type.Optional(Type.Object({ alias: Type.Optional(Alias) })),
  spec: Type.Object({
    description: Type.Optional(Type.String({ maxLength: 200 })),
    customSan: Type.Optional(CustomSan),
  }),
});

const DeleteFlag = StringEnum(["true", "block", "try", "false", "skip"]);

/** DeleteCluster's flags: which cloud resources go with the cluster; the emulator has none, so they change nothing. */
export const DeleteClusterQuery = Type.Object({
  delete_efs: Type.Optional(DeleteFlag),
  delete_eni: Type.Optional(DeleteFlag),
  delete_evs: Type.Optional(DeleteFlag),
  delete_net: Type.Optional(DeleteFlag),
  delete_obs: Type.Optional(DeleteFlag),
  delete_sfs: Type.Optional(DeleteFlag),
  tobedeleted: Type.Optional(StringEnum(["true"])),
});
