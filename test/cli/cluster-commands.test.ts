import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTable, runCli } from "../support/cli-process.js";
import { type ServiceProcess, startService } from "../support/service-process.js";

const DEMO_SEED = new URL("../../src/store/demo-seed.json", import.meta.url);
const PROJECT = "5f1c0e2b7a9d4c3e8b6a1f0d2c4e6a8b";
const TOKEN = "demo-token-0123456789";
const PROD_A = "3f7a2c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b";
const LEGACY = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const PROFILE = "dry-run";

const PROD_A_NODES = [
  ["prod-a-defaultpool-1", "DefaultPool"],
  ["prod-a-defaultpool-2", "DefaultPool"],
  ["prod-a-defaultpool-3", "DefaultPool"],
  ["prod-a-gpu-1", "gpu"],
  ["prod-a-gpu-2", "gpu"],
];

interface PlanJson {
  taskId: string;
  phase: string;
  steps: { kind: string; name: string; batch?: number; phase: string; targets: { name: string; phase: string }[] }[];
}

/** The demo seed, with a driver profile the demo project may choose (never run: the test only picks it). */
function seedWithProfile(): string {
  const seed = JSON.parse(readFileSync(DEMO_SEED, "utf8")) as {
    driverProfiles?: object;
    projects: { driverProfiles?: string[] }[];
  };
  seed.driverProfiles = { [PROFILE]: { default: { type: "exec", command: ["true"] } } };
  for (const project of seed.projects) project.driverProfiles = [PROFILE];
  const file = join(mkdtempSync(join(tmpdir(), "cce-cli-seed-")), "seed.json");
  writeFileSync(file, JSON.stringify(seed));
  return file;
}

/** The blocks of a command's output that blank lines separate, e.g. a summary table and an items table. */
function blocks(stdout: string): string[] {
  return stdout.trimEnd().split("\n\n");
}

describe("the cce-upgrade commands for clusters, nodes, faults, drivers and plans", () => {
  let service: ServiceProcess;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await cli(...args, "--output", "json");
    expect(result, result.stderr).toMatchObject({ code: 0 });
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    const database = join(mkdtempSync(join(tmpdir(), "cce-cli-")), "cce.db");
    service = await startService({ DATABASE_URL: `sqlite:${database}`, SIM_SPEED: "50", SEED_FILE: seedWithProfile() });
    env = { CCE_ENDPOINT: service.address, CCE_PROJECT_ID: PROJECT, CCE_TOKEN: TOKEN };
  });
  afterAll(async () => {
    await service?.stop("SIGTERM");
  });

  it("lists every command with its description in --help, and gives examples in a command's own help", async () => {
    const help = await cli("--help");
    expect(help.code).toBe(0);
    const all = help.stdout.slice(help.stdout.indexOf("All commands:"));
    for (const command of [
      "clusters list",
      "clusters get",
      "nodes",
      "upgrade start",
      "tasks list",
      "tasks get",
      "tasks watch",
      "tasks plan",
      "pause",
      "continue",
      "retry",
      "precheck",
      "faults list",
      "faults add",
      "faults remove",
      "driver get",
      "driver set",
    ]) {
      expect(all).toMatch(new RegExp(`^  ${command} {2,}[a-z]`, "m"));
    }

    const faultsAdd = await cli("faults", "add", "--help");
    // Help wraps at the terminal's width; what it says is the same.
    expect(faultsAdd.stdout.replace(/\s+/g, " ")).toContain(
      '--mode <mode> fail the attempt, or hold it (choices: "fail", "stall", default: "fail")',
    );
    expect(faultsAdd.stdout).toContain(
      "$ cce-upgrade faults add --cluster prod-a --step precheck --target DeprecatedAPIs --error DeprecatedAPIInUse",
    );
    expect((await cli("driver", "set", "--help")).stdout).toContain("--driver-profile <name>");
  });

  it("shows a cluster by name as a table with its node count, and by ID as ShowCluster's JSON", async () => {
    const table = await cli("clusters", "get", "--cluster", "prod-a");
    expect(table.code).toBe(0);
    expect(parseTable(table.stdout)).toEqual([
      {
        id: PROD_A,
        name: "prod-a",
        version: "v1.28.15-r30",
        "platform version": expect.stringMatching(/^cce\.\d/),
        phase: "Available",
        nodes: "5",
      },
    ]);

    const cluster = await json<{ kind: string; metadata: { uid: string }; spec: { version: string } }>(
      "clusters",
      "get",
      "--cluster",
      PROD_A,
    );
    expect(cluster).toMatchObject({ kind: "Cluster", metadata: { uid: PROD_A }, spec: { version: "v1.28.15-r30" } });
  });

  it("lists a cluster's nodes with pool names, versions and status; JSON has the route's pools and nodes", async () => {
    const table = await cli("nodes", "--cluster", "prod-a");
    expect(table.code).toBe(0);
    const rows = parseTable(table.stdout);
    expect(rows.map((row) => [row.name, row.pool]).sort()).toEqual(PROD_A_NODES);
    expect(rows.every((row) => row.version === "v1.28.15-r30" && row.status === "Active")).toBe(true);

    const nodes = await json<{ pools: { name: string; nodeCount: number }[]; items: { id: string; name: string }[] }>(
      "nodes",
      "--cluster",
      "prod-a",
    );
    expect(nodes.pools.map((pool) => [pool.name, pool.nodeCount]).sort()).toEqual([
      ["DefaultPool", 3],
      ["gpu", 2],
    ]);
    expect(nodes.items.map((node) => [node.name, node.id]).sort()).toEqual(
      rows.map((row) => [row.name, row.uid]).sort(),
    );
  });

  it("adds faults with every option, lists and removes them", async () => {
    const evictions = await json<Record<string, unknown>>(
      ...["faults", "add", "--cluster", "legacy", "--step", "node", "--target", "legacy-defaultpool-1"],
      ...["--times", "2", "--error", "PodEvictionFailure", "--message", "pod web-0 cannot be evicted", "--retryable"],
    );
    expect(evictions).toMatchObject({
      step: "node",
      target: "legacy-defaultpool-1",
      mode: "fail",
      remaining: 2,
      error: "PodEvictionFailure",
      message: "pod web-0 cannot be evicted",
      retryable: true,
    });

    const stall = await cli(
      ...["faults", "add", "--cluster", "legacy", "--step", "master", "--mode", "stall", "--stall-seconds", "30"],
      ...["--error", "SlowControlPlane"],
    );
    expect(stall.code).toBe(0);
    const [stallRow] = parseTable(stall.stdout);
    expect(stallRow).toEqual({
      id: expect.any(String),
      step: "master",
      target: "(first)",
      mode: "stall 30s",
      remaining: "1",
      error: "SlowControlPlane",
      retryable: "no",
      message: "injected fault: SlowControlPlane",
    });

    const listed = await cli("faults", "list", "--cluster", LEGACY);
    expect(parseTable(listed.stdout).map((row) => [row.id, row.error, row.remaining])).toEqual([
      [evictions.id, "PodEvictionFailure", "2"],
      [stallRow?.id, "SlowControlPlane", "1"],
    ]);

    const removed = await cli("faults", "remove", "--cluster", "legacy", "--fault", String(evictions.id));
    expect(removed).toMatchObject({ code: 0, stdout: `fault ${evictions.id} removed from cluster ${LEGACY}\n` });
    expect(await json("faults", "remove", "--cluster", "legacy", "--fault", String(stallRow?.id))).toEqual({
      clusterId: LEGACY,
      faultId: stallRow?.id,
      removed: true,
    });
    expect(await json("faults", "list", "--cluster", "legacy")).toEqual([]);
  });

  it("refuses a bad fault before sending it, and prints the server's code for an unknown one", async () => {
    const noTimes = await cli("faults", "add", "--cluster", "legacy", "--step", "node", "--times", "0", "--error", "X");
    expect(noTimes).toMatchObject({ code: 2, stderr: "cce-upgrade: --times must be a positive integer, not 0\n" });

    const unknown = await cli("faults", "remove", "--cluster", "legacy", "--fault", "no-such-fault");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^cce-upgrade: CCE\.\d+: .*no-such-fault.*\n$/);
  });

  it("gets and sets a cluster's driver; a profile the project may not use is refused with the server's code", async () => {
    const simulator = await cli("driver", "get", "--cluster", "legacy");
    expect(parseTable(simulator.stdout)).toEqual([{ type: "simulator", profile: "", available: "", transports: "" }]);

    const chosen = await cli("driver", "set", "--cluster", "legacy", "--driver-profile", PROFILE);
    expect(chosen.code).toBe(0);
    expect(parseTable(chosen.stdout)).toEqual([
      { type: "profile", profile: PROFILE, available: "yes", transports: "default=exec" },
    ]);
    expect(await json("driver", "get", "--cluster", "legacy")).toEqual({
      type: "profile",
      profile: PROFILE,
      available: true,
      transports: { default: "exec" },
    });

    const refused = await cli("driver", "set", "--cluster", "legacy", "--driver-profile", "not-ours");
    expect(refused).toMatchObject({
      code: 2,
      stderr: 'cce-upgrade: CCE.01400001: profile "not-ours" is not one this project may use\n',
    });
    const neither = await cli("driver", "set", "--cluster", "legacy");
    expect(neither).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("needs --simulator or --driver-profile"),
    });

    expect(await json("driver", "set", "--cluster", "legacy", "--simulator")).toEqual({ type: "simulator" });
  });

  it("lists a watched pre-check's items with node names, exits 1 on a failed item and 0 once it passes", async () => {
    // ClusterStatus is a Fatal item: its failure fails the check (a Warning's would not).
    const fault = await cli(
      ...["faults", "add", "--cluster", "edge", "--step", "precheck", "--target", "ClusterStatus"],
      ...["--error", "ApiServerDown", "--message", "kube-apiserver does not answer"],
    );
    expect(fault.code).toBe(0);

    const failed = await cli("precheck", "--cluster", "edge", "--to", "v1.30", "--watch");
    expect(failed.code).toBe(1);
    const [summary = "", items = ""] = blocks(failed.stdout);
    const [check] = parseTable(summary);
    expect(check).toMatchObject({ phase: "Failed", target: "v1.30.14-r50" });
    expect(failed.stderr).toContain(
      `pre-check ${check?.["pre-check"]} Failed: pre-check failed: ClusterStatus (kube-apiserver does not answer)`,
    );
    const rows = parseTable(items);
    expect(rows).toContainEqual({
      group: "MasterCheck",
      item: "ClusterStatus",
      node: "",
      level: "Fatal",
      phase: "Failed",
      message: "kube-apiserver does not answer",
    });
    expect(rows).toContainEqual({
      group: "NodeCheck",
      item: "NodeStatus",
      node: "edge-defaultpool-1",
      level: "Fatal",
      phase: "Success",
      message: "the node is Active",
    });
    expect(rows.filter((row) => row.phase === "Failed").map((row) => row.item)).toEqual(["ClusterStatus"]);

    // The fault failed one attempt; the next check passes.
    const passed = await cli("precheck", "--cluster", "edge", "--to", "v1.30", "--watch");
    expect(passed.code).toBe(0);
    const passedRows = parseTable(blocks(passed.stdout)[1] ?? "");
    expect(passedRows.map((row) => row.item)).toEqual(rows.map((row) => row.item));
    expect(passedRows.every((row) => row.phase === "Success")).toBe(true);
  });

  it("names the step and the node batch in each line while it watches an upgrade, and shows the task's plan", async () => {
    // Stalls hold the control plane and the batch of prod-a-defaultpool-3 for a few polls each.
    const stall = ["--mode", "stall", "--stall-seconds", "1.5", "--error", "Slow"];
    for (const where of [
      ["--step", "master"],
      ["--step", "node", "--target", "prod-a-defaultpool-3"],
    ]) {
      expect((await cli("faults", "add", "--cluster", "prod-a", ...where, ...stall)).code).toBe(0);
    }

    const watched = await cli("upgrade", "start", "--cluster", "prod-a", "--to", "v1.29", "--batch", "2", "--watch");
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stderr.trim().split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/^Running \d+\.\d\d% \| control-plane$/));
    const batchLine = lines
      .map((line) => /^Running \d+\.\d\d% \| node batch (\d)\/3 · (.*)$/.exec(line))
      .find((match) => match?.[2]?.includes("prod-a-defaultpool-3"));
    expect(batchLine, watched.stderr).toBeDefined();
    expect(lines.at(-1)).toBe("Success 100.00%");
    // One line per change: no line repeats the one before it.
    expect(lines.filter((line, i) => line === lines[i - 1])).toEqual([]);

    const [task] = parseTable(watched.stdout);
    const plan = await json<PlanJson>("tasks", "plan", "--cluster", "prod-a", "--task", String(task?.task));
    expect(plan.steps.map((step) => step.name)).toEqual([
      "precheck",
      "etcd-backup",
      "control-plane",
      "nodes/batch-1",
      "nodes/batch-2",
      "nodes/batch-3",
    ]);
    const batch = plan.steps.find((step) => step.batch === Number(batchLine?.[1]));
    expect(batch?.targets.map((target) => target.name).join(", ")).toBe(batchLine?.[2]);

    const table = await cli("tasks", "plan", "--cluster", "prod-a", "--task", String(task?.task));
    const [heading = "", ...rest] = table.stdout.split("\n");
    expect(heading).toBe(`task ${task?.task} Success 100.00%`);
    const rows = parseTable(rest.join("\n"));
    expect(rows).toContainEqual({
      step: "3",
      kind: "master",
      name: "control-plane",
      batch: "",
      phase: "Success",
      attempts: "1",
      target: "control-plane",
      "target phase": "Success",
      error: "",
    });
    const nodeRows = rows.filter((row) => row.target?.startsWith("prod-a-"));
    expect(nodeRows.map((row) => row.target).sort()).toEqual(PROD_A_NODES.map(([name]) => name));
    expect(rows.every((row) => row["target phase"] === "Success")).toBe(true);
    // A batch's step columns fill its first row only; the rows after it name just their target.
    expect(rows.filter((row) => row.step === "").map((row) => row.kind)).toEqual(["", ""]);

    const faults = await json<{ remaining: number }[]>("faults", "list", "--cluster", "prod-a");
    expect(faults.map((fault) => fault.remaining)).toEqual([0, 0]);
  });
});
