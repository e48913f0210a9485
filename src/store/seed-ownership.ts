import type { Kysely } from "kysely";
import { sha256Hex } from "./passwords.js";
import type { Database } from "./schema.js";
import type { SeedFile } from "./seed-file.js";

/** Rows are read in slices, so a large seed stays under both databases' limits on bound parameters. */
const SLICE = 500;

/** Something the seed gives a project: where it is in the file, its id, and the project the seed gives it to. */
interface Claim {
  readonly path: string;
  readonly id: string;
  readonly projectId: string;
}

/**
 * What the seed claims that the database gives to another project (a cluster, an access key, a token), or a cluster
 * name another cluster of the project has: a message naming the place in the file and the owner; undefined when the
 * seed takes nothing from anyone. Pools and nodes hang under their cluster, so checking clusters covers them.
 */
export async function foreignClaim(db: Kysely<Database>, seed: SeedFile): Promise<string | undefined> {
  const clusters = claims(seed, (project, p) =>
    (project.clusters ?? []).map((cluster, c) => ({ path: `/projects/${p}/clusters/${c}/id`, id: cluster.id })),
  );
  const clusterRows = await inSlices(
    clusters.map((cluster) => cluster.id),
    (ids) => db.selectFrom("clusters").select(["id", "project_id"]).where("id", "in", ids).execute(),
  );
  const takenCluster = firstTaken(clusters, clusterRows, "cluster");
  if (takenCluster) return takenCluster;
  const takenName = await firstTakenClusterName(db, seed);
  if (takenName) return takenName;

  const keys = claims(seed, (project, p) =>
    (project.accessKeys ?? []).map((key, k) => ({ path: `/projects/${p}/accessKeys/${k}/ak`, id: key.ak })),
  );
  const keyRows = await inSlices(
    keys.map((key) => key.id),
    (ids) =>
      db.selectFrom("access_keys").select(["access_key as id", "project_id"]).where("access_key", "in", ids).execute(),
  );
  const takenKey = firstTaken(keys, keyRows, "access key");
  if (takenKey) return takenKey;

  const tokens = claims(seed, (project, p) =>
    (project.tokens ?? []).map((token, t) => ({ path: `/projects/${p}/tokens/${t}`, id: sha256Hex(token) })),
  );
  const tokenRows = await inSlices(
    tokens.map((token) => token.id),
    (ids) =>
      db
        .selectFrom("api_tokens")
        .select(["token_sha256 as id", "project_id"])
        .where("token_sha256", "in", ids)
        .execute(),
  );
  // The token itself is a secret: the message names only its place.
  return firstTaken(tokens, tokenRows, "token", false);
}

/** A seeded cluster whose name another cluster of its project has in the database (names are unique per project). */
async function firstTakenClusterName(db: Kysely<Database>, seed: SeedFile): Promise<string | undefined> {
  const rows = await inSlices(
    seed.projects.map((project) => project.id),
    (ids) => db.selectFrom("clusters").select(["id", "project_id", "name"]).where("project_id", "in", ids).execute(),
  );
  const named = new Map(rows.map((row) => [JSON.stringify([row.project_id, row.name]), row.id]));
  for (const [p, project] of seed.projects.entries()) {
    for (const [c, cluster] of (project.clusters ?? []).entries()) {
      const other = named.get(JSON.stringify([project.id, cluster.name]));
      if (other !== undefined && other !== cluster.id) {
        return `/projects/${p}/clusters/${c}/name ${JSON.stringify(cluster.name)} is the name of cluster ${other} in the database`;
      }
    }
  }
  return undefined;
}

function claims(
  seed: SeedFile,
  list: (project: SeedFile["projects"][number], index: number) => { path: string; id: string }[],
): Claim[] {
  return seed.projects.flatMap((project, p) => list(project, p).map((claim) => ({ ...claim, projectId: project.id })));
}

function firstTaken(
  claimed: Claim[],
  rows: { id: string; project_id: string }[],
  what: string,
  showId = true,
): string | undefined {
  const owners = new Map(rows.map((row) => [row.id, row.project_id]));
  for (const { path, id, projectId } of claimed) {
    const owner = owners.get(id);
    if (owner !== undefined && owner !== projectId) {
      const named = showId ? `${what} ${JSON.stringify(id)}` : `this ${what}`;
      return `${path} ${named} belongs to project ${owner} in the database`;
    }
  }
  return undefined;
}

/** Runs `load` over `values` a slice at a time and joins the rows. */
export async function inSlices<T>(values: readonly string[], load: (slice: string[]) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for (let start = 0; start < values.length; start += SLICE) {
    rows.push(...(await load(values.slice(start, start + SLICE))));
  }
  return rows;
}
