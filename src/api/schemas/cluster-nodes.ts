import { Type } from "typebox";

const NodePool = Type.Object({ id: Type.String(), name: Type.String(), nodeCount: Type.Integer() });

const Node = Type.Object({
  id: Type.String(),
  name: Type.String(),
  pool: Type.String({ description: "ID of the node's pool." }),
  version: Type.String({ description: "Kubernetes version the node runs." }),
  status: Type.String(),
});

export const ClusterNodes = Type.Object({ pools: Type.Array(NodePool), items: Type.Array(Node) });
