import type { DriverChoice } from "./driver-config.js";
import { type ClusterState, type ProjectState, SPEC_MAX_JSON_CHARS } from "./project-state.js";
import { ACTIVE_TASK_PHASES } from "./upgrade-task.js";
import { resolveVersion } from "./versions.js";

/**
 * The first thing a schema-valid state document gets wrong that the database would refuse or the engine trip over:
 * an ID used twice, a node in no pool of its cluster, a version outside the catalogue, a step cursor past the plan,
 * two active upgrades or backups of one cluster, a driver choice that is half a profile, a creation spec too big, a
 * job of another cluster or a job ID naming none of the cluster's. Undefined when none.
 */
export function projectStateProblem(state: ProjectState): string | undefined {
  // A document nested too deep to write back as JSON never gets here: the body parser refuses it (JSON_MAX_DEPTH).
  return firstOf(documentProblems(state));
}

function firstOf(problems: Iterable<string>): string | undefined {
  for (const problem of problems) return problem;
  return undefined;
}

function* documentProblems(state: ProjectState): Generator<string> {
  const ids = new Repeats();
  for (const [c, cluster] of state.clusters.entries()) {
    const at = `clusters[${c}]`;
    yield* ids.see("cluster id", cluster.id, `${at}.id`);
    yield* ids.see("cluster name", cluster.name, `${at}.name`);
    yield* clusterProblems(cluster, at, ids);
  }
}

function* clusterProblems(cluster: ClusterState, at: string, ids: Repeats): Generator<string> {
  yield* catalogueVersion(cluster.version, `${at}.version`);
  if (cluster.controlPlaneVersion !== null) {
    yield* catalogueVersion(cluster.controlPlaneVersion, `${at}.controlPlaneVersion`);
  }
  if (cluster.driver) yield* choiceProblems(cluster.driver.choice, `${at}.driver.choice`);
  const own = new Repeats(cluster.id);
  for (const [p, pool] of cluster.nodePools.entries()) yield* own.see("pool id", pool.id, `${at}.nodePools[${p}].id`);
  const pools = new Set(cluster.nodePools.map((pool) => pool.id));
  for (const [n, node] of cluster.nodes.entries()) {
    yield* ids.see("node id", node.id, `${at}.nodes[${n}].id`);
    if (!pools.has(node.poolId)) {
      yield `${at}.nodes[${n}].poolId ${JSON.stringify(node.poolId)} is not a pool of the cluster`;
    }
  }
  for (const [a, addon] of cluster.addons.entries()) yield* own.see("add-on", addon.name, `${at}.addons[${a}].name`);
  for (const [d, api] of cluster.deprecatedApis.entries()) {
    yield* own.see("deprecated API", `${api.url}\n${api.userAgent}`, `${at}.deprecatedApis[${d}]`);
  }
  for (const [f, fault] of cluster.faults.entries()) yield* ids.see("fault id", fault.id, `${at}.faults[${f}].id`);
  yield* taskProblems(cluster, at, ids);
  yield* lifecycleProblems(cluster, at, ids);
  for (const [t, target] of cluster.simulator.targets.entries()) {
    yield* own.see("simulator target", `${target.kind}\n${target.name}`, `${at}.simulator.targets[${t}]`);
  }
  for (const [l, entry] of cluster.simulator.applyLog.entries()) {
    yield* ids.see("apply log id", entry.id, `${at}.simulator.applyLog[${l}].id`);
  }
}

function* taskProblems(cluster: ClusterState, at: string, ids: Repeats): Generator<string> {
  // One ID space for every kind of task: the simulator remembers fences by task ID alone.
  const kinds = ["upgradeTasks", "prechecks", "snapshots", "postchecks", "workflows"] as const;
  for (const kind of kinds) {
    for (const [i, task] of cluster[kind].entries()) yield* ids.see("task id", task.id, `${at}.${kind}[${i}].id`);
  }
  for (const [i, task] of cluster.upgradeTasks.entries()) {
    const steps = task.plan?.steps.length ?? 0;
    if (task.stepCursor > steps) {
      yield `${at}.upgradeTasks[${i}].stepCursor ${task.stepCursor} is past the plan's ${steps} steps`;
    }
    if (task.driver) yield* choiceProblems(task.driver, `${at}.upgradeTasks[${i}].driver`);
  }
  const activeUpgrades = cluster.upgradeTasks.filter((task) => ACTIVE_TASK_PHASES.includes(task.phase));
  if (activeUpgrades.length > 1) {
    yield `${at}.upgradeTasks holds ${activeUpgrades.length} active tasks; a cluster has at most one`;
  }
  const activeBackups = cluster.snapshots.filter((task) => task.phase === "Init" || task.phase === "Running");
  if (activeBackups.length > 1) {
    yield `${at}.snapshots holds ${activeBackups.length} active backups; a cluster has at most one`;
  }
}

function* lifecycleProblems(cluster: ClusterState, at: string, ids: Repeats): Generator<string> {
  const jobs = cluster.jobs ?? [];
  for (const [j, job] of jobs.entries()) {
    yield* ids.see("job id", job.id, `${at}.jobs[${j}].id`);
    if (job.clusterId !== cluster.id)
      yield `${at}.jobs[${j}].clusterId ${JSON.stringify(job.clusterId)} is not the cluster's`;
  }
  // A job's end moves the rows naming it: a row naming another project's job would be moved by that project's.
  const own = new Set(jobs.map((job) => job.id));
  const named: (readonly [string | null | undefined, string])[] = [
    [cluster.jobId, `${at}.jobId`],
    ...cluster.nodePools.map((pool, p) => [pool.jobId, `${at}.nodePools[${p}].jobId`] as const),
    ...cluster.nodes.map((node, n) => [node.jobId, `${at}.nodes[${n}].jobId`] as const),
  ];
  for (const [jobId, path] of named) {
    if (jobId != null && !own.has(jobId)) yield `${path} ${JSON.stringify(jobId)} is not a job of the cluster`;
  }
  yield* specProblems(cluster.spec, `${at}.spec`);
  for (const [p, pool] of cluster.nodePools.entries()) yield* specProblems(pool.spec, `${at}.nodePools[${p}].spec`);
}

function* specProblems(spec: object | null | undefined, at: string): Generator<string> {
  if (spec != null && JSON.stringify(spec).length > SPEC_MAX_JSON_CHARS) {
    yield `${at} is longer than ${SPEC_MAX_JSON_CHARS} characters as JSON`;
  }
}

function* catalogueVersion(version: string, at: string): Generator<string> {
  if (resolveVersion(version)?.version !== version) {
    yield `${at} ${JSON.stringify(version)} is not a CCE version of the catalogue`;
  }
}

function* choiceProblems(choice: { type: DriverChoice["type"]; profile?: string }, at: string): Generator<string> {
  if (choice.type === "profile" && choice.profile === undefined) yield `${at}.profile is required with type profile`;
  if (choice.type === "simulator" && choice.profile !== undefined) {
    yield `${at}.profile is allowed only with type profile`;
  }
}

/** Remembers where each value was first seen, per kind; a second sighting is a problem naming both places. */
class Repeats {
  readonly #seen = new Map<string, string>();
  constructor(private readonly scope = "") {}

  *see(what: string, value: string, path: string): Generator<string> {
    const key = JSON.stringify([this.scope, what, value]);
    const first = this.#seen.get(key);
    if (first !== undefined) yield `${path} repeats the ${what} of ${first}`;
    else this.#seen.set(key, path);
  }
}
