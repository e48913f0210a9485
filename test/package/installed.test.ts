import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The package as a user gets it: `npm pack` of the repository, installed with `npm install <tarball>` into an empty
 * project, used from plain Node (an .mjs file: no tsx, no dev dependencies).
 */
describe("the installed package", () => {
  const project = mkdtempSync(join(tmpdir(), "cce-upgrade-user-"));
  const run = (command: string, args: string[], cwd = project) =>
    execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

  beforeAll(() => {
    const packed = mkdtempSync(join(tmpdir(), "cce-upgrade-pack-"));
    run("npm", ["pack", "--pack-destination", packed, "--silent"], process.cwd());
    const [tarball] = readdirSync(packed).filter((name) => name.endsWith(".tgz"));
    run("npm", ["init", "-y"]);
    run("npm", ["install", "--no-audit", "--no-fund", join(packed, tarball as string)]);
  });

  it("installs without tsx or any dev dependency", () => {
    expect(existsSync(join(project, "node_modules/cce-upgrade/dist/index.js"))).toBe(true);
    expect(existsSync(join(project, "node_modules/cce-upgrade/dist/index.d.ts"))).toBe(true);
    expect(existsSync(join(project, "node_modules/cce-upgrade/LICENSE"))).toBe(true);
    expect(existsSync(join(project, "node_modules/tsx"))).toBe(false);
    expect(existsSync(join(project, "node_modules/vitest"))).toBe(false);
    expect(existsSync(join(project, "node_modules/cce-upgrade/src"))).toBe(false);
  });

  it("starts two emulators from plain node and upgrades a cluster on one of them", () => {
    writeFileSync(
      join(project, "two.mjs"),
      `import { startEmulator } from "cce-upgrade";
const [a, b] = await Promise.all([startEmulator({ simSpeed: 400 }), startEmulator()]);
const { projectId, token, clusterId } = a.demo;
const headers = { "x-auth-token": token, "content-type": "application/json" };
const cluster = (e) => \`\${e.url}/api/v3/projects/\${projectId}/clusters/\${clusterId}\`;
const body = { metadata: { apiVersion: "v3", kind: "UpgradeTask" },
  spec: { clusterUpgradeAction: { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } } } };
const { uid } = await (await fetch(\`\${cluster(a)}/operation/upgrade\`, { method: "POST", headers, body: JSON.stringify(body) })).json();
let phase;
for (const end = Date.now() + 60_000; Date.now() < end && phase !== "Success"; await new Promise((r) => setTimeout(r, 100))) {
  phase = (await (await fetch(\`\${cluster(a)}/operation/upgrade/tasks/\${uid}\`, { headers })).json()).status.phase;
}
const version = async (e) => (await (await fetch(cluster(e), { headers })).json()).spec.version;
console.log(JSON.stringify({ phase, a: await version(a), b: await version(b) }));
await Promise.all([a.close(), b.close()]);
`,
    );
    const printed = JSON.parse(run("node", ["two.mjs"]).trim());
    expect(printed).toEqual({
      phase: "Success",
      a: expect.stringMatching(/^v1\.29\./),
      b: expect.stringMatching(/^v1\.2[0-8]\./),
    });
  });

  it("runs the README's in-process snippet as written", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## In-process, from a test suite"));
    const snippet = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet).toContain('from "cce-upgrade"');
    writeFileSync(join(project, "readme.mjs"), snippet as string);
    expect(run("node", ["readme.mjs"]).trim()).toBe("200 v1.28.15-r30");
  });

  it("runs the README's typed-client example as written", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("### An upgrade, start to end"));
    const snippet = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet).toContain('from "cce-upgrade/client"');
    writeFileSync(join(project, "client-readme.mjs"), snippet as string);
    const lines = run("node", ["client-readme.mjs"]).trim().split("\n");
    expect(lines.at(-1)).toBe("Success");
    expect(lines.at(-2)).toBe("Success 100.00");
  });

  it("upgrades a cluster through cce-upgrade/client, signed with the demo access key, resets, exports and imports", () => {
    expect(existsSync(join(project, "node_modules/cce-upgrade/dist/client/index.d.ts"))).toBe(true);
    writeFileSync(
      join(project, "client.mjs"),
      `import { startEmulator } from "cce-upgrade";
import { CceUpgradeClient, CceUpgradeClientError } from "cce-upgrade/client";
const emulator = await startEmulator({ simSpeed: 400 });
const { projectId, ak, sk, clusterId } = emulator.demo;
const client = new CceUpgradeClient({ endpoint: emulator.url, projectId, ak, sk });
const body = { metadata: { apiVersion: "v3", kind: "UpgradeTask" },
  spec: { clusterUpgradeAction: { targetVersion: "v1.29", strategy: { type: "inPlaceRollingUpdate" } } } };
const { metadata } = await client.upgradeCluster({ cluster_id: clusterId, body });
const task = await client.waitForTask({ cluster_id: clusterId, task_id: metadata.uid }, { pollIntervalMs: 100 });
const missing = await client.showUpgradeClusterTask({ cluster_id: clusterId, task_id: "none" }).catch((e) => e);
const upgraded = (await client.showCluster({ cluster_id: clusterId })).spec.version;
const exported = await client.showProjectState();
await client.resetProject();
const afterReset = (await client.showCluster({ cluster_id: clusterId })).spec.version;
await client.restoreProjectState({ body: exported });
const restored = (await client.showCluster({ cluster_id: clusterId })).spec.version;
const same = JSON.stringify(await client.showProjectState()) === JSON.stringify(exported);
console.log(JSON.stringify({ phase: task.status.phase, error: missing instanceof CceUpgradeClientError && missing.errorCode,
  upgraded, afterReset, restored, same }));
await emulator.close();
`,
    );
    expect(JSON.parse(run("node", ["client.mjs"]).trim())).toEqual({
      phase: "Success",
      error: "CCE.01404001",
      upgraded: "v1.29.15-r50",
      afterReset: "v1.28.15-r30",
      restored: "v1.29.15-r50",
      same: true,
    });
  });

  it("runs the cce-upgrade command from the installed package", () => {
    expect(run("npx", ["--no-install", "cce-upgrade", "--help"])).toMatch(/serve/);
  });
});
