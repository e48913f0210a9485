import type { SeedFile } from "./seed-file.js";

/** One use of something a seed must not repeat: `key` is what must be unique, `path` where it is. */
interface Occurrence {
  readonly key: string;
  readonly path: string;
  readonly what: string;
  readonly because?: string;
}

/** Two places in a seed that give the same thing twice. */
export interface SeedDuplicate {
  readonly first: string;
  readonly second: string;
  readonly what: string;
  readonly because?: string;
}

/**
 * The first id or name a seed uses twice where it must be unique: project, cluster, access key and token anywhere in
 * the file; cluster and user names within a project; pool ids and names within a cluster (node names are derived
 * from pool names). Node ids are derived from cluster id, pool id and index, so they repeat only where a pool does.
 */
export function firstDuplicate(seed: SeedFile): SeedDuplicate | undefined {
  const seen = new Map<string, string>();
  for (const { key, path, what, because } of occurrences(seed)) {
    const first = seen.get(key);
    if (first !== undefined) return { first, second: path, what, ...(because && { because }) };
    seen.set(key, path);
  }
  return undefined;
}

function* occurrences(seed: SeedFile): Generator<Occurrence> {
  for (const [p, project] of seed.projects.entries()) {
    const at = `/projects/${p}`;
    yield { key: key("project", project.id), path: `${at}/id`, what: `project id ${quote(project.id)}` };
    for (const [t, token] of (project.tokens ?? []).entries()) {
      // A token is a secret: only its places are named.
      yield { key: key("token", token), path: `${at}/tokens/${t}`, what: "token" };
    }
    for (const [k, { ak }] of (project.accessKeys ?? []).entries()) {
      yield { key: key("access key", ak), path: `${at}/accessKeys/${k}/ak`, what: `access key ${quote(ak)}` };
    }
    for (const [u, { name }] of (project.users ?? []).entries()) {
      yield { key: key("user", project.id, name), path: `${at}/users/${u}/name`, what: `user name ${quote(name)}` };
    }
    for (const [c, cluster] of (project.clusters ?? []).entries()) {
      const clusterAt = `${at}/clusters/${c}`;
      yield { key: key("cluster", cluster.id), path: `${clusterAt}/id`, what: `cluster id ${quote(cluster.id)}` };
      yield {
        key: key("cluster name", project.id, cluster.name),
        path: `${clusterAt}/name`,
        what: `cluster name ${quote(cluster.name)}`,
      };
      for (const [n, pool] of (cluster.nodePools ?? []).entries()) {
        const poolAt = `${clusterAt}/nodePools/${n}`;
        yield { key: key("pool", cluster.id, pool.id), path: `${poolAt}/id`, what: `pool id ${quote(pool.id)}` };
        yield {
          key: key("pool name", cluster.id, pool.name.toLowerCase()),
          path: `${poolAt}/name`,
          what: `pool name ${quote(pool.name.toLowerCase())}`,
          because: "node names, made from lowercase pool names, would repeat",
        };
      }
    }
  }
}

const key = (...parts: string[]) => JSON.stringify(parts);
const quote = (text: string) => JSON.stringify(text);
