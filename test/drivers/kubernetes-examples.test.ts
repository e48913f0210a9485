import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
const EXAMPLES = join(ROOT, "examples");
const KUBERNETES = join(EXAMPLES, "kubernetes");
const NODE_UPGRADE = join(KUBERNETES, "kubeadm-node-upgrade.sh");

/** Every shell script under examples/, as paths relative to the repository. */
const SCRIPTS = readdirSync(EXAMPLES, { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".sh"))
  .map((file) => relative(ROOT, join(EXAMPLES, file)))
  .sort();
const KUBERNETES_SCRIPTS = SCRIPTS.filter((file) => file.startsWith("examples/kubernetes/"));
const HAS_SHELLCHECK = spawnSync("sh", ["-c", "command -v shellcheck"]).status === 0;

const SEPARATOR = "\n--end of call--\n";

/** A stub that appends its arguments to `<dir>/<name>.log` and prints `$STUB_<NAME>_OUT`; it always exits 0. */
function writeStub(dir: string, name: string): void {
  const file = join(dir, name);
  const variable = `STUB_${name.toUpperCase()}_OUT`;
  writeFileSync(
    file,
    `#!/bin/bash\nprintf '%s${SEPARATOR.replaceAll("\n", "\\n")}' "$*" >> "${join(dir, `${name}.log`)}"\nprintf '%s\\n' "\${${variable}:-}"\n`,
  );
  chmodSync(file, 0o755);
}

/** The calls a stub recorded, one string of arguments each. */
function calls(dir: string, name: string): string[] {
  const log = join(dir, `${name}.log`);
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8").split(SEPARATOR).slice(0, -1);
}

/** Runs an example hook as the exec driver would, with stub `ssh` and `kubectl` first on PATH. */
function runHook(script: string, phase: string, stubOutput: { ssh?: string; kubectl?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "cce-kube-example-"));
  writeStub(dir, "ssh");
  writeStub(dir, "kubectl");
  const env = {
    PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: dir,
    STUB_SSH_OUT: stubOutput.ssh ?? "",
    STUB_KUBECTL_OUT: stubOutput.kubectl ?? "",
    CCE_HOOK_PHASE: phase,
    CCE_IDEMPOTENCY_KEY: "0b9c6a2e-task:5:prod-a-b-1:1",
    CCE_TASK_ID: "0b9c6a2e-5d1f-4c8e-9a7b-3e2f1d0c9b8a",
    CCE_CLUSTER_ID: "3f7a2c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b",
    CCE_CLUSTER_NAME: "prod-a",
    CCE_STEP_KIND: "node",
    CCE_STEP_NAME: "nodes/batch-2",
    CCE_STEP_INDEX: "5",
    CCE_TARGET: "prod-a-b-1",
    CCE_TARGET_ID: "7d0e4c2a-1b3f-4e5d-8a9c-0f1e2d3c4b5a",
    CCE_TARGET_POOL: "pool-b",
    CCE_FROM_VERSION: "v1.28.15-r30",
    CCE_TO_VERSION: "v1.29.15-r50",
    CCE_ATTEMPT: "1",
  };
  const result = spawnSync("bash", [script], { env, input: "", encoding: "utf8", timeout: 20_000 });
  return { status: result.status, stderr: result.stderr, ssh: calls(dir, "ssh"), kubectl: calls(dir, "kubectl") };
}

describe("the example shell scripts", () => {
  it("are found: the kubernetes hooks and the older hook examples", () => {
    expect(SCRIPTS).toEqual(
      expect.arrayContaining([
        "examples/hooks/dry-run-step.sh",
        "examples/hooks/kubeadm-step.sh",
        "examples/kubernetes/etcd-backup.sh",
        "examples/kubernetes/kubeadm-control-plane-upgrade.sh",
        "examples/kubernetes/kubeadm-node-upgrade.sh",
      ]),
    );
  });

  for (const script of SCRIPTS) {
    it(`bash -n ${script}`, () => {
      const result = spawnSync("bash", ["-n", join(ROOT, script)], { encoding: "utf8" });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    });

    it.skipIf(!HAS_SHELLCHECK)(`shellcheck ${script}`, () => {
      const result = spawnSync("shellcheck", ["--severity=warning", join(ROOT, script)], { encoding: "utf8" });
      expect(result.stdout).toBe("");
      expect(result.status).toBe(0);
    });
  }
});

describe("the kubernetes example hooks", () => {
  for (const script of KUBERNETES_SCRIPTS) {
    it(`${script} refuses an unknown phase on stderr, before any ssh`, () => {
      const run = runHook(join(ROOT, script), "bogus");
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/bogus/);
      expect(run.ssh).toEqual([]);
    });
  }

  it("kubeadm-node-upgrade.sh apply does nothing when the node's kubelet is already installed and reported at the target", () => {
    const run = runHook(NODE_UPGRADE, "apply", { ssh: "1.29.15-1.1", kubectl: "v1.29.15" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.ssh).toHaveLength(1);
    expect(run.ssh[0]).toMatch(/^-o BatchMode=yes root@prod-a-b-1 dpkg-query .*kubelet$/);
    expect(run.ssh.join("\n")).not.toContain("kubeadm upgrade node");
  });

  it("kubeadm-node-upgrade.sh apply, installed at the target but not reported yet, only restarts the kubelet", () => {
    const run = runHook(NODE_UPGRADE, "apply", { ssh: "1.29.15-1.1", kubectl: "v1.28.15" });
    expect(run.status).toBe(0);
    expect(run.ssh).toHaveLength(2);
    expect(run.ssh[1]).toContain("systemctl restart kubelet");
    expect(run.ssh.join("\n")).not.toContain("kubeadm upgrade node");
    expect(run.ssh.join("\n")).not.toContain("apt-get");
  });

  it("kubeadm-node-upgrade.sh apply upgrades a node whose installed kubelet is older, to the packages of 1.29.15", () => {
    const run = runHook(NODE_UPGRADE, "apply", { ssh: "1.28.15-1.1", kubectl: "v1.28.15" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.ssh).toHaveLength(2);
    const upgrade = run.ssh[1] ?? "";
    expect(upgrade).toMatch(/^-o BatchMode=yes root@prod-a-b-1 /);
    expect(upgrade).toContain("kubeadm upgrade node");
    expect(upgrade).toContain("systemctl restart kubelet");
    expect(upgrade).toContain("kubeadm='1.29.15-*'");
    expect(upgrade).toContain("kubelet='1.29.15-*' kubectl='1.29.15-*'");
    expect(upgrade).toContain("/core:/stable:/v1.29/deb/");
    expect(upgrade).not.toContain("r50");
    // kubeadm upgrades the node before the kubelet it configures is replaced and restarted.
    expect(upgrade.indexOf("kubeadm upgrade node")).toBeLessThan(upgrade.indexOf("kubelet='1.29.15-*'"));
    expect(upgrade.indexOf("kubelet='1.29.15-*'")).toBeLessThan(upgrade.indexOf("systemctl restart kubelet"));
  });

  it("kubeadm-node-upgrade.sh observe answers from the kubelet version the node reports, without ssh", () => {
    expect(runHook(NODE_UPGRADE, "observe", { kubectl: "v1.29.15" }).status).toBe(0);
    const older = runHook(NODE_UPGRADE, "observe", { kubectl: "v1.28.15" });
    expect(older.status).not.toBe(0);
    expect(older.kubectl).toEqual(["get node prod-a-b-1 -o jsonpath={.status.nodeInfo.kubeletVersion}"]);
    expect(older.ssh).toEqual([]);
  });
});
