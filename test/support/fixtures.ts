import type { Clock } from "../../src/domain/clock.js";
import type { HookDriverConfig } from "../../src/domain/driver-config.js";
import { parseSeed, type SeedFile } from "../../src/store/seed-file.js";
import type { NewUpgradeTask } from "../../src/store/upgrade-task-queries.js";

export const PROJECT = "0123456789abcdef0123456789abcdef";
export const OTHER_PROJECT = "fedcba9876543210fedcba9876543210";
export const TOKEN = "test-token-project-one";
export const OTHER_TOKEN = "test-token-project-two";
export const AK = "TESTAK1234567890";
export const SK = "TESTSKsecretkey0987654321";
export const STS_AK = "STSAK0000000001";
export const STS_SK = "sts-secret-key";
export const STS_TOKEN = "TOKEN123";
export const OTHER_AK = "OTHERAK000000001";
export const OTHER_SK = "other-secret-key";
export const CLUSTER = "11111111-2222-4333-8444-555555555555";
export const OLD_CLUSTER = "22222222-3333-4444-8555-666666666666";
export const OTHER_CLUSTER = "33333333-4444-4555-8666-777777777777";

/** Two projects; the first has a v1.28 cluster with two pools and add-ons, and a v1.19 cluster. */
export function testSeed(): SeedFile {
  return {
    projects: [
      {
        id: PROJECT,
        name: "one",
        tokens: [TOKEN],
        accessKeys: [
          { ak: AK, sk: SK },
          { ak: STS_AK, sk: STS_SK, securityToken: STS_TOKEN },
        ],
        users: [{ name: "alice", password: "alice-password" }],
        clusters: [
          {
            id: CLUSTER,
            name: "prod-a",
            version: "v1.28.15-r30",
            nodePools: [
              { id: "DefaultPool", name: "DefaultPool", nodeCount: 3 },
              { id: "pool-b", name: "b", nodeCount: 2, labels: { role: "batch" } },
            ],
            addons: [
              { name: "coredns", version: "1.28.4" },
              { name: "autoscaler", version: "1.28.22" },
            ],
          },
          { id: OLD_CLUSTER, name: "legacy", version: "v1.19.16-r4", nodePools: [] },
        ],
      },
      {
        id: OTHER_PROJECT,
        name: "two",
        tokens: [OTHER_TOKEN],
        accessKeys: [{ ak: OTHER_AK, sk: OTHER_SK }],
        users: [{ name: "bob", password: "bob-password" }],
        clusters: [{ id: OTHER_CLUSTER, name: "other", version: "v1.28.15-r30" }],
      },
    ],
  };
}

/**
 * The test seed with the operator's driver profiles, all of them given to the first project; CLUSTER starts on
 * `clusterDriver` when it is named. Validated as a seed file is.
 */
export function profileSeed(profiles: Record<string, HookDriverConfig>, clusterDriver?: string): SeedFile {
  const seed = testSeed();
  const [project] = seed.projects;
  const [cluster] = project?.clusters ?? [];
  if (!project || !cluster) throw new Error("test seed has no project or cluster");
  seed.driverProfiles = profiles;
  project.driverProfiles = Object.keys(profiles);
  if (clusterDriver !== undefined) cluster.driver = clusterDriver;
  return parseSeed(seed, "test seed");
}

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private micros = Date.UTC(2026, 10, 29, 12, 0, 0) * 1000) {}
  nowMicros(): number {
    return this.micros;
  }
  advanceMs(ms: number): void {
    this.micros += Math.round(ms * 1000);
  }
  /** Time passes at once: waiting moves the clock. */
  async sleep(ms: number): Promise<void> {
    this.advanceMs(ms);
  }
}

/** The body terraform sends to start an upgrade (reference §2.1), with a chosen target. */
export function upgradeBody(targetVersion: string, action: Record<string, unknown> = {}) {
  return {
    metadata: { kind: "UpgradeTask", apiVersion: "v3" },
    spec: {
      clusterUpgradeAction: {
        targetVersion,
        strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 20 } },
        nodePoolOrder: {},
        ...action,
      },
    },
  };
}

/** A task row of PROJECT from v1.28.15-r30 to v1.29.15-r50, unleased and without a plan; `overrides` set the rest. */
export function newTaskRow(
  id: string,
  clusterId: string,
  nowMicros: number,
  overrides: Partial<Omit<NewUpgradeTask, "driver">> = {},
): Omit<NewUpgradeTask, "driver"> {
  return {
    id,
    project_id: PROJECT,
    cluster_id: clusterId,
    phase: "Queuing",
    from_version: "v1.28.15-r30",
    target_version: "v1.29.15-r50",
    target_platform_version: "cce.12.0",
    request: "{}",
    plan: null,
    failure_reason: null,
    requested_control: null,
    lease_owner: null,
    lease_expires_at: null,
    created_at: nowMicros,
    updated_at: nowMicros,
    completed_at: null,
    ...overrides,
  };
}
