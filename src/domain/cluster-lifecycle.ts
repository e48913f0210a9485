import { createHash } from "node:crypto";

/** The lifecycle jobs ShowJob reports, by CCE's `spec.type`. */
export const CLUSTER_JOB_TYPES = [
  "CreateCluster",
  "DeleteCluster",
  "CreateNodePool",
  "UpdateNodePool",
  "DeleteNodePool",
  "DeleteNode",
] as const;
export type ClusterJobType = (typeof CLUSTER_JOB_TYPES)[number];

export const CLUSTER_JOB_PHASES = ["Initializing", "Running", "Success", "Failed"] as const;
export type ClusterJobPhase = (typeof CLUSTER_JOB_PHASES)[number];

/**
 * How long each job runs at `SIM_SPEED=1`, divided by the speed as the simulator's steps are: seconds, where CCE
 * takes minutes (a cluster about six, a node about three).
 */
export const CLUSTER_JOB_MS: Readonly<Record<ClusterJobType, number>> = {
  CreateCluster: 20_000,
  DeleteCluster: 10_000,
  CreateNodePool: 15_000,
  UpdateNodePool: 15_000,
  DeleteNodePool: 10_000,
  DeleteNode: 10_000,
};

/** The sub-jobs a job lists (`spec.subJobs`), in the order they run. */
export const CLUSTER_SUB_JOBS: Readonly<Record<ClusterJobType, readonly string[]>> = {
  CreateCluster: ["InstallMaster", "CreatePSMCert"],
  DeleteCluster: ["DeleteMaster", "DeleteClusterResource"],
  CreateNodePool: ["CreateNode", "InstallNode"],
  UpdateNodePool: ["ScaleNodePool"],
  DeleteNodePool: ["DeleteNode"],
  DeleteNode: ["DeleteNode"],
};

/** A sub-job's phase, from its job's: the first sub-job runs while the job does, and all end as the job ends. */
export function subJobPhase(jobPhase: ClusterJobPhase, index: number): ClusterJobPhase {
  if (jobPhase === "Running") return index === 0 ? "Running" : "Initializing";
  return jobPhase;
}

/** A stable UUID derived from text: a seeded node keeps its ID across starts, a sub-job across reads. */
export function derivedUuid(text: string): string {
  const h = createHash("sha1").update(text).digest("hex");
  const variant = ((Number.parseInt(h.charAt(16), 16) & 3) | 8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A node's private address in 192.168.0.0/16, fixed by its ID (the emulator allocates no subnets). */
export function nodePrivateIp(nodeId: string): string {
  const h = createHash("sha1").update(nodeId).digest();
  return `192.168.${h.readUInt8(0)}.${(h.readUInt8(1) % 254) + 1}`;
}

/** The name CCE gives a node a pool creates: the pool's name and a lowercase letter or digit per random byte. */
export function poolNodeName(poolName: string, random: Uint8Array): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const suffix = Array.from(random, (byte) => alphabet[byte % alphabet.length]).join("");
  return `${poolName}-${suffix}`;
}

interface Ipv4Block {
  readonly base: number;
  readonly bits: number;
}

/** An IPv4 CIDR block `a.b.c.d/n` with no host bits set, or undefined. */
export function parseIpv4Cidr(text: string): Ipv4Block | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((octet) => octet > 255) || bits > 32) return undefined;
  const base = octets.reduce((value, octet) => value * 256 + octet, 0);
  const size = 2 ** (32 - bits);
  return base % size === 0 ? { base, bits } : undefined;
}

/** Whether two blocks share an address. */
export function cidrsOverlap(a: Ipv4Block, b: Ipv4Block): boolean {
  const end = (block: Ipv4Block) => block.base + 2 ** (32 - block.bits);
  return a.base < end(b) && b.base < end(a);
}

export interface ClusterNetworks {
  readonly containerCidrs: readonly string[];
  readonly serviceCidr: string;
}

/** What is wrong with a cluster's container and service networks, or undefined. */
export function networkProblem(networks: ClusterNetworks): CreationProblem | undefined {
  const invalid = (message: string) => ({ kind: "invalid", message }) as const;
  const service = parseIpv4Cidr(networks.serviceCidr);
  if (!service)
    return invalid(`kubernetesSvcIpRange ${JSON.stringify(networks.serviceCidr)} is not an IPv4 CIDR block`);
  if (service.bits < 12 || service.bits > 24) return invalid("kubernetesSvcIpRange must be a block from /12 to /24");
  for (const cidr of networks.containerCidrs) {
    const container = parseIpv4Cidr(cidr);
    if (!container) return invalid(`containerNetwork cidr ${JSON.stringify(cidr)} is not an IPv4 CIDR block`);
    if (container.bits < 12 || container.bits > 19)
      return invalid("containerNetwork cidr must be a block from /12 to /19");
    if (cidrsOverlap(container, service)) {
      return {
        kind: "cidrConflict",
        message: `containerNetwork cidr ${cidr} overlaps kubernetesSvcIpRange ${networks.serviceCidr}`,
      };
    }
  }
  return undefined;
}

/** Cluster names: 4-128 characters, lowercase letters, digits and hyphens, from a letter, not ending in a hyphen. */
export const CLUSTER_NAME_PATTERN = "^[a-z][a-z0-9-]{2,126}[a-z0-9]$";

/** Node pool names: 1-50 characters of the same alphabet; `DefaultPool` is CCE's own. */
export const NODE_POOL_NAME_PATTERN = "^[a-z]([a-z0-9-]{0,48}[a-z0-9])?$";

/**
 * CCE's cluster flavors by how many nodes they manage: `cce.s1.*` one control-plane node, `cce.s2.*` three, `cce.t2.*`
 * CCE Turbo.
 */
export const CLUSTER_FLAVOR_NODES = {
  "cce.s1.small": 50,
  "cce.s1.medium": 200,
  "cce.s2.small": 50,
  "cce.s2.medium": 200,
  "cce.s2.large": 1000,
  "cce.s2.xlarge": 2000,
  "cce.t2.small": 50,
  "cce.t2.medium": 200,
  "cce.t2.large": 1000,
} as const;
export const CLUSTER_FLAVORS = Object.keys(CLUSTER_FLAVOR_NODES) as (keyof typeof CLUSTER_FLAVOR_NODES)[];

/** How many nodes a cluster of the flavor manages; a seeded cluster's unknown flavor manages the most. */
export function flavorNodeCapacity(flavor: string): number {
  return (CLUSTER_FLAVOR_NODES as Record<string, number>)[flavor] ?? 2000;
}

export type CreationProblem = { readonly kind: "invalid" | "cidrConflict"; readonly message: string };

export interface ClusterShape extends ClusterNetworks {
  readonly category: "CCE" | "Turbo";
  readonly flavor: string;
  readonly networkMode: string;
}

/**
 * What CCE refuses in a cluster's shape: Turbo clusters run `cce.t2.*` flavors on the Cloud Native 2.0 (`eni`)
 * network, standard clusters neither; container and service blocks must be IPv4 blocks that do not overlap.
 */
export function clusterShapeProblem(shape: ClusterShape): CreationProblem | undefined {
  const turboFlavor = shape.flavor.startsWith("cce.t2.");
  if ((shape.category === "Turbo") !== turboFlavor) {
    return { kind: "invalid", message: `flavor ${shape.flavor} is not one of a ${shape.category} cluster` };
  }
  if ((shape.category === "Turbo") !== (shape.networkMode === "eni")) {
    return {
      kind: "invalid",
      message: `containerNetwork mode ${shape.networkMode} is not one of a ${shape.category} cluster`,
    };
  }
  return networkProblem(shape);
}
