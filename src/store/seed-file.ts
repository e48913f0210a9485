import { readFile } from "node:fs/promises";
import type { Kysely } from "kysely";
import { type Static, Type } from "typebox";
import { Compile } from "typebox/compile";
import type { Clock } from "../domain/clock.js";
import { derivedUuid } from "../domain/cluster-lifecycle.js";
import { DriverProfileSchema, driverProfileProblem, PROFILE_NAME_PATTERN } from "../domain/driver-config.js";
import { FaultRule } from "../domain/fault-rule.js";
import { resolveVersion } from "../domain/versions.js";
import { insertSeedDriver } from "./cluster-driver-queries.js";
import type { Store } from "./database.js";
import { replaceDriverProfiles } from "./driver-profile-queries.js";
import { insertFault } from "./fault-queries.js";
import { recordProjectSeed } from "./project-seed-queries.js";
import type { Database } from "./schema.js";
import { passwordChanges, syncCredentials } from "./seed-credentials.js";
import { firstDuplicate } from "./seed-duplicates.js";
import { foreignClaim } from "./seed-ownership.js";
import { inWriteTransaction } from "./write-transaction.js";

const NodePoolSeed = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64, description: "Pool ID; the default pool is `DefaultPool`." }),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    nodeCount: Type.Integer({ minimum: 0, maximum: 2000 }),
    labels: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: "Labels every node of the pool carries." }),
    ),
  },
  { additionalProperties: false },
);

const ClusterSeedSchema = Type.Object(
  {
    id: Type.String({ pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" }),
    name: Type.String({ minLength: 1, maxLength: 128 }),
    version: Type.String({ description: "A catalogue version; `v1.28` means its newest patch." }),
    platformVersion: Type.Optional(Type.String({ pattern: "^cce\\.\\d+\\.\\d+$" })),
    flavor: Type.Optional(Type.String({ minLength: 1 })),
    type: Type.Optional(Type.Union([Type.Literal("VirtualMachine"), Type.Literal("ARM64")])),
    category: Type.Optional(Type.Union([Type.Literal("CCE"), Type.Literal("Turbo")])),
    description: Type.Optional(Type.String()),
    nodePools: Type.Optional(Type.Array(NodePoolSeed)),
    addons: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String({ minLength: 1 }), version: Type.String({ minLength: 1 }) },
          { additionalProperties: false },
        ),
      ),
    ),
    faults: Type.Optional(Type.Array(FaultRule, { description: "Faults the simulator injects into upgrades." })),
    driver: Type.Optional(
      Type.String({
        pattern: PROFILE_NAME_PATTERN,
        description:
          "A driver profile of the project's `driverProfiles` that runs the upgrade steps (default: the simulator); set once, later through the API.",
      }),
    ),
    deprecatedAPIs: Type.Optional(
      Type.Array(
        Type.Object(
          {
            url: Type.String({
              minLength: 1,
              maxLength: 1024,
              description: "e.g. /apis/policy/v1beta1/podsecuritypolicies",
            }),
            userAgent: Type.String({ maxLength: 1024, description: "The client that still calls it." }),
            removedIn: Type.Optional(
              Type.String({
                pattern: "^v\\d{1,4}\\.\\d{1,4}(\\.\\d{1,4})?(-r\\d{1,4})?$",
                description: "The release that removes it, e.g. v1.25; absent: every newer release.",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        { description: "Deprecated Kubernetes APIs in use: the pre-check's DeprecatedAPIs item reports them." },
      ),
    ),
    abnormalNodes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: "Names of seeded nodes (`<cluster>-<pool>-<n>`) created `Abnormal` instead of `Active`.",
      }),
    ),
  },
  { additionalProperties: false },
);

const ProjectSeed = Type.Object(
  {
    id: Type.String({ pattern: "^[0-9a-f]{32}$", description: "32 lowercase hex characters, as in Huawei Cloud." }),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    tokens: Type.Optional(
      Type.Array(Type.String({ minLength: 8, maxLength: 4096 }), { description: "Accepted as X-Auth-Token." }),
    ),
    accessKeys: Type.Optional(
      Type.Array(
        Type.Object(
          {
            ak: Type.String({ minLength: 1, maxLength: 128 }),
            sk: Type.String({ minLength: 1, maxLength: 256 }),
            securityToken: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    users: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64 }),
            password: Type.String({ minLength: 1, maxLength: 256 }),
          },
          { additionalProperties: false },
        ),
        { description: "IAM users: POST /v3/auth/tokens (password method) gives them tokens for this project." },
      ),
    ),
    driverProfiles: Type.Optional(
      Type.Array(Type.String({ pattern: PROFILE_NAME_PATTERN }), {
        description: "Names from the top-level `driverProfiles` that the project's clusters may use.",
      }),
    ),
    clusters: Type.Optional(Type.Array(ClusterSeedSchema)),
  },
  { additionalProperties: false },
);

/** The seed file: projects with their credentials and clusters. A public interface: keys are added, never renamed. */
export const SeedFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    driverProfiles: Type.Optional(
      Type.Record(Type.String({ pattern: PROFILE_NAME_PATTERN }), DriverProfileSchema, {
        additionalProperties: false,
        description:
          "Hook drivers by name, defined by the operator only: projects list the ones they may use, and tenants choose among those.",
      }),
    ),
    projects: Type.Array(ProjectSeed),
  },
  { additionalProperties: false, $id: "https://cce-upgrade.dev/seed.schema.json", title: "cce-upgrade seed file" },
);
export type SeedFile = Static<typeof SeedFileSchema>;
export type ClusterSeed = Static<typeof ClusterSeedSchema>;

const checkSeed = Compile(SeedFileSchema);

export class SeedFileError extends Error {}

/** Validates a parsed seed document; the error names the first offending key by its JSON path. */
export function parseSeed(document: unknown, origin: string): SeedFile {
  const first = checkSeed.Errors(document)[0];
  if (first) {
    // TypeBox reports an unknown key as the key's own schema being `false`.
    const message = first.schemaPath.endsWith("/additionalProperties") ? "is not a known key" : first.message;
    throw new SeedFileError(`${origin}: ${first.instancePath || "/"} ${message}`);
  }
  const seed = document as SeedFile;
  checkDriverProfiles(seed, origin);
  refuseDuplicates(seed, origin);
  for (const [p, project] of seed.projects.entries()) {
    for (const [c, cluster] of (project.clusters ?? []).entries()) {
      if (!resolveVersion(cluster.version)) {
        throw new SeedFileError(
          `${origin}: /projects/${p}/clusters/${c}/version ${JSON.stringify(cluster.version)} is not a known CCE version`,
        );
      }
      if (cluster.driver !== undefined && !project.driverProfiles?.includes(cluster.driver)) {
        throw new SeedFileError(
          `${origin}: /projects/${p}/clusters/${c}/driver ${JSON.stringify(cluster.driver)} is not one of /projects/${p}/driverProfiles`,
        );
      }
      const unknownNode = (cluster.abnormalNodes ?? []).find((name) => !seededNodeNames(cluster).includes(name));
      if (unknownNode !== undefined) {
        throw new SeedFileError(
          `${origin}: /projects/${p}/clusters/${c}/abnormalNodes ${JSON.stringify(unknownNode)} is not a node of the cluster`,
        );
      }
    }
  }
  return seed;
}

/** Profiles must be whole, and a project may list only profiles the file defines. */
function checkDriverProfiles(seed: SeedFile, origin: string): void {
  for (const [name, profile] of Object.entries(seed.driverProfiles ?? {})) {
    const problem = driverProfileProblem(profile);
    if (problem) throw new SeedFileError(`${origin}: /driverProfiles/${name} ${problem}`);
  }
  for (const [p, project] of seed.projects.entries()) {
    for (const [i, name] of (project.driverProfiles ?? []).entries()) {
      if (!Object.hasOwn(seed.driverProfiles ?? {}, name)) {
        throw new SeedFileError(
          `${origin}: /projects/${p}/driverProfiles/${i} ${JSON.stringify(name)} is not a profile in /driverProfiles`,
        );
      }
    }
  }
}

/** The profiles and grants the seed states: the operator's whole truth about drivers. */
function seedDriverProfiles(seed: SeedFile) {
  return {
    profiles: seed.driverProfiles ?? {},
    grants: seed.projects.flatMap((project) =>
      [...new Set(project.driverProfiles ?? [])].map((profile) => ({ projectId: project.id, profile })),
    ),
  };
}

/** Replaces only the driver profiles and grants with the seed's, e.g. on a start that applies no other part of it. */
export async function applyDriverProfiles(store: Store, seed: SeedFile): Promise<void> {
  await store.db.transaction().execute((trx) => replaceDriverProfiles(trx, seedDriverProfiles(seed)));
}

function refuseDuplicates(seed: SeedFile, origin: string): void {
  const duplicate = firstDuplicate(seed);
  if (duplicate) {
    const { first, second, what, because } = duplicate;
    throw new SeedFileError(`${origin}: ${second} is the same ${what} as ${first}${because ? `: ${because}` : ""}`);
  }
}

/** Reads and validates a seed file from disk. */
export async function readSeedFile(path: string): Promise<SeedFile> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new SeedFileError(`${path}: ${(error as Error).message}`);
  }
  return parseSeed(document, path);
}

/** The name of a seeded node: `<cluster>-<pool>-<n>`, lowercase. */
function seededNodeName(cluster: ClusterSeed, poolName: string, index: number): string {
  return `${cluster.name}-${poolName}-${index + 1}`.toLowerCase();
}

function seededNodeNames(cluster: ClusterSeed): string[] {
  return (cluster.nodePools ?? []).flatMap((pool) =>
    Array.from({ length: pool.nodeCount }, (_, index) => seededNodeName(cluster, pool.name, index)),
  );
}

/**
 * Applies a seed in one transaction. The seed is the truth for the credentials of its projects (see syncCredentials);
 * other rows that exist are left as they are (a cluster's version is never reset by a restart), so applying the same
 * seed again changes nothing. Refused, with nothing written, when the seed repeats an id or claims one that the
 * database gives to another project. Projects not in the seed are left alone. Driver profiles and the projects'
 * grants are replaced by the seed's. Each project's clusters, as the seed states them, are recorded for its reset.
 */
export async function applySeed(store: Store, seed: SeedFile, clock: Clock, origin = "seed"): Promise<void> {
  refuseDuplicates(seed, origin);
  const passwords = await passwordChanges(store.db, seed);
  const now = clock.nowMicros();
  await inWriteTransaction(store, async (trx) => {
    const claimed = await foreignClaim(trx, seed);
    if (claimed) throw new SeedFileError(`${origin}: ${claimed}`);
    for (const project of seed.projects) {
      await trx
        .insertInto("projects")
        .values({ id: project.id, name: project.name, created_at: now })
        .onConflict((oc) => oc.doNothing())
        .execute();
      await syncCredentials(trx, project, passwords, now);
      await insertClusters(trx, project.id, project.clusters ?? [], now);
      await recordProjectSeed(trx, project.id, project.clusters ?? [], now);
    }
    await replaceDriverProfiles(trx, seedDriverProfiles(seed));
  });
}

/**
 * Inserts the seeded clusters with their pools, nodes, add-ons, faults, deprecated APIs and driver; a row that exists
 * is left as it is. A reset calls it once the project's rows are gone, so everything comes back as seeded.
 */
export async function insertClusters(
  db: Kysely<Database>,
  projectId: string,
  clusters: readonly ClusterSeed[],
  now: number,
): Promise<void> {
  for (const cluster of clusters) await insertCluster(db, projectId, cluster, now);
}

async function insertCluster(db: Kysely<Database>, projectId: string, cluster: ClusterSeed, now: number) {
  const known = resolveVersion(cluster.version);
  if (!known) throw new SeedFileError(`cluster ${cluster.name}: unknown version ${cluster.version}`);
  await db
    .insertInto("clusters")
    .values({
      id: cluster.id,
      project_id: projectId,
      name: cluster.name,
      version: known.version,
      platform_version: cluster.platformVersion ?? known.platformVersion,
      phase: "Available",
      flavor: cluster.flavor ?? "cce.s1.small",
      cluster_type: cluster.type ?? "VirtualMachine",
      category: cluster.category ?? "CCE",
      description: cluster.description ?? "",
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  for (const pool of cluster.nodePools ?? []) {
    await db
      .insertInto("node_pools")
      .values({ cluster_id: cluster.id, id: pool.id, name: pool.name, created_at: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
    for (let index = 0; index < pool.nodeCount; index++) {
      const name = seededNodeName(cluster, pool.name, index);
      await db
        .insertInto("nodes")
        .values({
          id: derivedUuid(`${cluster.id}/${pool.id}/${index}`),
          cluster_id: cluster.id,
          pool_id: pool.id,
          name,
          version: known.version,
          status: cluster.abnormalNodes?.includes(name) ? "Abnormal" : "Active",
          labels: JSON.stringify({ ...pool.labels, name, "kubernetes.io/hostname": name }),
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }
  if (cluster.driver) await insertSeedDriver(db, cluster.id, { type: "profile", profile: cluster.driver }, now);
  for (const [index, fault] of (cluster.faults ?? []).entries()) {
    await insertFault(db, seedFaultId(cluster.id, index), cluster.id, fault, now);
  }
  for (const api of cluster.deprecatedAPIs ?? []) {
    await db
      .insertInto("cluster_deprecated_apis")
      .values({ cluster_id: cluster.id, url: api.url, user_agent: api.userAgent, removed_in: api.removedIn ?? null })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  for (const addon of cluster.addons ?? []) {
    await db
      .insertInto("addons")
      .values({ cluster_id: cluster.id, name: addon.name, version: addon.version, updated_at: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/** A seeded fault rule's ID: stable across starts, so a restart does not re-arm a spent rule. */
export function seedFaultId(clusterId: string, index: number): string {
  return `${clusterId}/seed-${index}`;
}
