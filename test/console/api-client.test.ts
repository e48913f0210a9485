import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { apiClient } from "../../src/console/api.js";

const PROJECT = "0123456789abcdef0123456789abcdef";
/** Ids as a crafted console link or a hostile answer could carry them. */
const TRAVERSAL = "../../v3/auth/tokens";
const QUERY_AND_FRAGMENT = "a?b=1#c";
const SLASHED_TASK = "task/../../x";

interface Call {
  readonly method: string;
  readonly path: string;
}

describe("console API paths", () => {
  let calls: Call[];
  beforeEach(() => {
    calls = [];
    vi.stubGlobal("fetch", async (path: string, init: { method: string }) => {
      calls.push({ method: init.method, path });
      return new Response("{}", { status: 200 });
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const api = apiClient({ token: "t", projectId: PROJECT });
  const cluster = (id: string) => `/api/v3/projects/${PROJECT}/clusters/${encodeURIComponent(id)}`;

  /** Every call that takes an id, with the one path it must request. */
  const CASES: [string, (id: string, task: string) => Promise<unknown>, (id: string, task: string) => string][] = [
    ["showCluster", (id) => api.showCluster(id), (id) => cluster(id)],
    [
      "listNodes",
      (id) => api.listNodes(id),
      (id) => `/ext/v1/projects/${PROJECT}/clusters/${encodeURIComponent(id)}/nodes`,
    ],
    ["upgradeInfo", (id) => api.upgradeInfo(id), (id) => `${cluster(id)}/upgradeinfo`],
    ["startPrecheck", (id) => api.startPrecheck(id, "v1.29"), (id) => `${cluster(id)}/operation/precheck`],
    [
      "showPrecheck",
      (id, task) => api.showPrecheck(id, task),
      (id, task) => `${cluster(id)}/operation/precheck/tasks/${encodeURIComponent(task)}`,
    ],
    [
      "startBackup",
      (id) => api.startBackup(id),
      (id) => `/api/v3.1/projects/${PROJECT}/clusters/${encodeURIComponent(id)}/operation/snapshot`,
    ],
    [
      "listBackups",
      (id) => api.listBackups(id),
      (id) => `/api/v3.1/projects/${PROJECT}/clusters/${encodeURIComponent(id)}/operation/snapshot/tasks`,
    ],
    [
      "startUpgrade",
      (id) => api.startUpgrade(id, { targetVersion: "v1.29", userDefinedStep: 1, nodePoolOrder: {} }),
      (id) => `${cluster(id)}/operation/upgrade`,
    ],
    ["listUpgrades", (id) => api.listUpgrades(id), (id) => `${cluster(id)}/operation/upgrade/tasks`],
    [
      "showUpgrade",
      (id, task) => api.showUpgrade(id, task),
      (id, task) => `${cluster(id)}/operation/upgrade/tasks/${encodeURIComponent(task)}`,
    ],
    [
      "showPlan",
      (id, task) => api.showPlan(id, task),
      (id, task) =>
        `/ext/v1/projects/${PROJECT}/clusters/${encodeURIComponent(id)}/upgrade/tasks/${encodeURIComponent(task)}/plan`,
    ],
    ["controlUpgrade", (id) => api.controlUpgrade(id, "pause"), (id) => `${cluster(id)}/operation/upgrade/pause`],
  ];

  it.each(CASES)("%s puts each id into the path as one encoded segment", async (_name, call, expected) => {
    for (const id of [TRAVERSAL, QUERY_AND_FRAGMENT]) {
      calls = [];
      await call(id, SLASHED_TASK);
      expect(calls.map((c) => c.path)).toEqual([expected(id, SLASHED_TASK)]);
      // Resolved as a browser resolves it: still under the project's clusters, the suffix intact.
      const url = new URL(calls[0]?.path ?? "", "http://console.test");
      expect(url.search + url.hash).toBe("");
      expect(url.pathname).toBe(expected(id, SLASHED_TASK));
    }
  });

  it("encodes the project ID, which a pasted token's form supplies", async () => {
    await apiClient({ token: "t", projectId: "../x?y" }).listClusters();
    expect(calls.map((c) => c.path)).toEqual(["/api/v3/projects/..%2Fx%3Fy/clusters"]);
  });

  it.each([".", ".."])("refuses the id %j, which a browser would resolve as a dot-segment", async (id) => {
    await expect(api.showCluster(id)).rejects.toThrow();
    await expect(api.showUpgrade("c", id)).rejects.toThrow();
    expect(calls).toEqual([]);
  });
});

describe("console API refusals", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it.each([
    [401, 1],
    [403, 0],
    [404, 0],
  ])("an HTTP %i answer tells the session %i time(s) that its token was refused", async (status, times) => {
    vi.stubGlobal("fetch", async () => new Response('{"errorCode":"X","errorMessage":"no"}', { status }));
    const onRefused = vi.fn();
    await expect(apiClient({ token: "t", projectId: PROJECT }, onRefused).listClusters()).rejects.toMatchObject({
      status,
    });
    expect(onRefused).toHaveBeenCalledTimes(times);
  });
});
