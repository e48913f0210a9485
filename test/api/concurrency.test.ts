import { afterEach, describe, expect, it } from "vitest";
import { testApi } from "../support/api.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, PROJECT, TOKEN, upgradeBody } from "../support/fixtures.js";

describe.each(DIALECTS)("concurrent UpgradeCluster on %s", (dialect) => {
  let api: Awaited<ReturnType<typeof testApi>> | undefined;
  afterEach(async () => api?.close());

  it("50 simultaneous requests for one cluster create exactly one task; the rest get CCE.01429002", async () => {
    api = await testApi(dialect);
    const address = await api.app.listen({ port: 0, host: "127.0.0.1" });
    const url = `${address}/api/v3/projects/${PROJECT}/clusters/${CLUSTER}/operation/upgrade`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(url, {
          method: "POST",
          headers: { "x-auth-token": TOKEN, "content-type": "application/json" },
          body: JSON.stringify(upgradeBody("v1.29")),
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { uid?: string; errorCode?: string }[];
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(49);
    expect(bodies.filter((b) => b.errorCode === "CCE.01429002")).toHaveLength(49);
    const tasks = await api.store.db.selectFrom("upgrade_tasks").select("id").execute();
    expect(tasks.map((t) => t.id)).toEqual([bodies.find((b) => b.uid)?.uid]);
  });
});
