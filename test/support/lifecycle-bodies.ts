/** A CreateCluster body as the SDK writes it, small flavor, v1.28; `change` replaces keys of its spec. */
export function createClusterBody(name: string, change: Record<string, unknown> = {}) {
  return {
    kind: "Cluster",
    apiVersion: "v3",
    metadata: { name },
    spec: {
      type: "VirtualMachine",
      flavor: "cce.s1.small",
      version: "v1.28",
      hostNetwork: { vpc: "vpc-1", subnet: "subnet-1" },
      containerNetwork: { mode: "overlay_l2", cidr: "172.16.0.0/16" },
      kubernetesSvcIpRange: "10.247.0.0/16",
      ...change,
    },
  };
}

/** A CreateNodePool body of `count` nodes with a key-pair login; `template` replaces keys of its node template. */
export function createNodePoolBody(name: string, count: number, template: Record<string, unknown> = {}) {
  return {
    kind: "NodePool",
    apiVersion: "v3",
    metadata: { name },
    spec: {
      initialNodeCount: count,
      nodeTemplate: {
        flavor: "c7.large.2",
        az: "cn-north-4a",
        login: { sshKey: "k" },
        rootVolume: { size: 50, volumetype: "SAS" },
        dataVolumes: [{ size: 100, volumetype: "SAS" }],
        ...template,
      },
    },
  };
}
