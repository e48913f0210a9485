import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTable, runCli } from "../support/cli-process.js";
import { type ServiceProcess, startService } from "../support/service-process.js";

const PROJECT = "5f1c0e2b7a9d4c3e8b6a1f0d2c4e6a8b";
const TOKEN = "demo-token-0123456789";
const PROD_A = "3f7a2c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CREATE_FLAGS = ["--version", "v1.28", "--flavor", "cce.s2.small", "--vpc", "vpc-01", "--subnet", "subnet-01"];
const POOL_FLAGS = ["--flavor", "c7.large.2", "--az", "cn-north-4a", "--ssh-key", "my-key"];
/** What a watched job may print on stderr, one line per change; it may end before a poll sees it `Running`. */
const JOB_LINE = /^(Initializing|Running( \| [A-Za-z]+)?|Success)$/;

interface JobJson {
  metadata: { uid: string };
  spec: { type: string; resourceName: string; subJobs: { spec: { type: string }; status: { phase: string } }[] };
  status: { phase: string };
}

interface PoolJson {
  metadata: { uid: string; name: string };
  status: { currentNode: number; phase: string; jobId?: string };
}

/** The blocks of a command's output that blank lines separate, e.g. a job and its sub-jobs. */
function blocks(stdout: string): string[] {
  return stdout.trimEnd().split("\n\n");
}

function expectJobLines(stderr: string): void {
  const lines = stderr.trim().split("\n");
  expect(
    lines.every((line) => JOB_LINE.test(line)),
    stderr,
  ).toBe(true);
  expect(lines.at(-1)).toBe("Success");
}

describe("the cce-upgrade commands for creating, scaling and deleting clusters and node pools", () => {
  let service: ServiceProcess;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await cli(...args, "--output", "json");
    expect(result, result.stderr).toMatchObject({ code: 0 });
    return JSON.parse(result.stdout) as T;
  };
  /** Reads the job with `jobs get` until it has succeeded. */
  const jobSucceeded = (jobId: string) =>
    expect
      .poll(async () => (await json<JobJson>("jobs", "get", jobId)).status.phase, { timeout: 20_000, interval: 100 })
      .toBe("Success");

  beforeAll(async () => {
    const database = join(mkdtempSync(join(tmpdir(), "cce-cli-")), "cce.db");
    service = await startService({ DATABASE_URL: `sqlite:${database}`, SIM_SPEED: "50" });
    env = { CCE_ENDPOINT: service.address, CCE_PROJECT_ID: PROJECT, CCE_TOKEN: TOKEN };
  });
  afterAll(async () => {
    await service?.stop("SIGTERM");
  });

  it("lists the new commands in --help, and shows a command's arguments and example in its own", async () => {
    const help = await cli("--help");
    const all = help.stdout.slice(help.stdout.indexOf("All commands:"));
    for (const command of [
      "clusters create",
      "clusters delete",
      "nodepools list",
      "nodepools create",
      "nodepools scale",
      "nodepools delete",
      "jobs get",
    ]) {
      expect(all).toMatch(new RegExp(`^  ${command} {2,}[a-z]`, "m"));
    }
    const scale = await cli("nodepools", "scale", "--help");
    expect(scale.stdout).toContain("Usage: cce-upgrade nodepools scale [options] <cluster> <pool> <nodes>");
    expect(scale.stdout).toContain("$ cce-upgrade nodepools scale dev-1 workers 5 --wait");
  });

  it("creates a cluster and a pool with --wait, scales it, and deletes both, each waited for", async () => {
    const created = await cli("clusters", "create", "life-1", ...CREATE_FLAGS, "--wait");
    expect(created.code, created.stderr).toBe(0);
    expectJobLines(created.stderr);
    const [cluster] = parseTable(created.stdout);
    expect(cluster).toEqual({
      id: expect.stringMatching(UUID),
      name: "life-1",
      version: expect.stringMatching(/^v1\.28\.\d+-r\d+$/),
      phase: "Available",
      job: "",
    });

    const pool = await json<PoolJson>(
      "nodepools",
      "create",
      "life-1",
      "workers",
      "--nodes",
      "3",
      ...POOL_FLAGS,
      "--wait",
    );
    expect(pool).toMatchObject({ metadata: { name: "workers" }, status: { currentNode: 3, phase: "" } });
    const listed = await cli("nodepools", "list", "life-1");
    expect(parseTable(listed.stdout)).toEqual([
      {
        id: pool.metadata.uid,
        name: "workers",
        nodes: "3",
        flavor: "c7.large.2",
        az: "cn-north-4a",
        phase: "(settled)",
        job: "",
      },
    ]);

    // Scaled by ID, without --wait: the pool is Synchronizing and names its job, which `jobs get` follows.
    const scaling = await cli("nodepools", "scale", String(cluster?.id), pool.metadata.uid, "1");
    const [row] = parseTable(scaling.stdout);
    expect(row).toMatchObject({ name: "workers", phase: "Synchronizing", job: expect.stringMatching(UUID) });
    const shown = await cli("jobs", "get", String(row?.job));
    const [summary = "", subJobs = ""] = blocks(shown.stdout);
    expect(parseTable(summary)).toEqual([
      {
        job: row?.job,
        type: "UpdateNodePool",
        resource: "workers",
        phase: expect.stringMatching(/^(Initializing|Running|Success)$/),
        reason: "",
        created: expect.stringMatching(/ UTC$/),
      },
    ]);
    expect(parseTable(subJobs).map((sub) => sub.type)).toEqual(["ScaleNodePool"]);
    await jobSucceeded(String(row?.job));

    const scaled = await cli("nodepools", "scale", "life-1", "workers", "2", "--wait");
    expect(scaled.code, scaled.stderr).toBe(0);
    expectJobLines(scaled.stderr);
    expect(parseTable(scaled.stdout)).toMatchObject([{ name: "workers", nodes: "2", phase: "(settled)", job: "" }]);
    const nodes = parseTable((await cli("nodes", "--cluster", "life-1")).stdout);
    expect(nodes.map((node) => [node.pool, node.status])).toEqual([
      ["workers", "Active"],
      ["workers", "Active"],
    ]);

    const poolGone = await cli("nodepools", "delete", "life-1", "workers", "--wait");
    expect(poolGone).toMatchObject({
      code: 0,
      stdout: `node pool workers (${pool.metadata.uid}) deleted from cluster ${cluster?.id}\n`,
    });
    const clusterGone = await cli("clusters", "delete", "life-1", "--wait");
    expect(clusterGone).toMatchObject({ code: 0, stdout: `cluster life-1 (${cluster?.id}) deleted\n` });
    expectJobLines(clusterGone.stderr);
    const names = (await json<{ metadata: { name: string } }[]>("clusters", "list")).map((c) => c.metadata.name);
    expect(names).not.toContain("life-1");
  });

  it("without --wait prints the cluster Creating or Deleting with its job; JSON is the API's answer", async () => {
    const created = await json<{ metadata: { uid: string }; status: { phase: string; jobID: string } }>(
      ...["clusters", "create", "life-2", ...CREATE_FLAGS],
    );
    expect(created.status).toMatchObject({ phase: "Creating", jobID: expect.stringMatching(UUID) });
    const job = await json<JobJson>("jobs", "get", created.status.jobID);
    expect(job.spec).toMatchObject({ type: "CreateCluster", resourceName: "life-2" });
    expect(job.spec.subJobs.map((sub) => sub.spec.type)).toEqual(["InstallMaster", "CreatePSMCert"]);
    await jobSucceeded(created.status.jobID);

    const deleting = await cli("clusters", "delete", "life-2");
    const [row] = parseTable(deleting.stdout);
    expect(row).toMatchObject({ id: created.metadata.uid, phase: "Deleting", job: expect.stringMatching(UUID) });
    await jobSucceeded(String(row?.job));
    const gone = await cli("clusters", "get", "--cluster", created.metadata.uid);
    expect(gone).toMatchObject({ code: 2, stderr: expect.stringMatching(/^cce-upgrade: CCE\.01404001: /) });
  });

  it("lists DefaultPool too, and deletes a pool with --wait printing its finished job as JSON", async () => {
    const pools = await json<PoolJson[]>("nodepools", "list", "prod-a");
    expect(pools.map((p) => p.metadata.name).sort()).toEqual(["DefaultPool", "gpu"]);

    const deleted = await json<JobJson>("nodepools", "delete", PROD_A, "gpu", "--wait");
    expect(deleted).toMatchObject({
      spec: { type: "DeleteNodePool", resourceName: "gpu" },
      status: { phase: "Success" },
    });
    expect((await json<PoolJson[]>("nodepools", "list", "prod-a")).map((p) => p.metadata.name)).toEqual([
      "DefaultPool",
    ]);
  });

  it("prints the server's code for a taken name or an unknown job, and names what it cannot find, exiting 2", async () => {
    const taken = await cli("clusters", "create", "prod-a", ...CREATE_FLAGS);
    expect(taken).toMatchObject({
      code: 2,
      stderr: "cce-upgrade: CCE.01409001: the project already has a cluster named prod-a\n",
    });
    const unknownJob = await cli("jobs", "get", "no-such-job");
    expect(unknownJob).toMatchObject({ code: 2, stderr: expect.stringMatching(/^cce-upgrade: CCE\.01404001: /) });
    const unknownPool = await cli("nodepools", "scale", "prod-a", "no-such-pool", "2");
    expect(unknownPool).toMatchObject({
      code: 2,
      stderr: `cce-upgrade: no node pool "no-such-pool" in cluster ${PROD_A}\n`,
    });
    const badCount = await cli("nodepools", "scale", "prod-a", "DefaultPool", "two");
    expect(badCount).toMatchObject({
      code: 2,
      stderr: "cce-upgrade: <nodes> must be a whole number of 0 or more, not two\n",
    });
  });
});
