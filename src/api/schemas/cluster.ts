import { Type } from "typebox";
import { FreeObject } from "./common.js";

export const Cluster = Type.Object({
  kind: Type.String(),
  apiVersion: Type.String(),
  metadata: Type.Object({
    name: Type.String(),
    uid: Type.String(),
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
    hostNetwork: Type.Object({ vpc: Type.String(), subnet: Type.String() }),
    containerNetwork: Type.Object({ mode: Type.String(), cidr: Type.String() }),
    authentication: Type.Object({ mode: Type.String() }),
    billingMode: Type.Integer(),
    kubernetesSvcIpRange: Type.String(),
    kubeProxyMode: Type.String(),
    az: Type.String(),
    extendParam: FreeObject,
  }),
  status: Type.Object({
    phase: Type.String(),
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
