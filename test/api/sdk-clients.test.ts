import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/domain/clock.js";
import { testApi } from "../support/api.js";
import {
  AK,
  CLUSTER,
  OTHER_PROJECT,
  PROJECT,
  SK,
  STS_AK,
  STS_SK,
  STS_TOKEN,
  upgradeBody,
} from "../support/fixtures.js";

// The core SDK writes ~/.huaweicloud/application_id on first use: keep it out of the real home.
process.env.HOME = mkdtempSync(join(tmpdir(), "cce-sdk-home-"));
const require = createRequire(import.meta.url);
const core = require("@huaweicloud/huaweicloud-sdk-core");
const cce = require("@huaweicloud/huaweicloud-sdk-cce");

interface SdkError {
  httpStatusCode: number;
  errorCode?: string;
  requestId?: string;
}

/** The official SDK's CCE client for an endpoint and credential, exactly as users build it. */
function cceClient(
  endpoint: string,
  options: { ak?: string; sk?: string; project?: string; securityToken?: string } = {},
) {
  let credentials = new core.BasicCredentials()
    .withAk(options.ak ?? AK)
    .withSk(options.sk ?? SK)
    .withProjectId(options.project ?? PROJECT);
  if (options.securityToken) credentials = credentials.withSecurityToken(options.securityToken);
  return cce.CceClient.newBuilder().withCredential(credentials).withEndpoint(endpoint).build();
}

/** A CCE operation the installed SDK has no method for, sent and signed through the core's own client. */
function sendThroughCore(
  client: { hcClient: { sendRequest(options: object): Promise<unknown> } },
  method: string,
  path: string,
  body?: object,
) {
  return client.hcClient.sendRequest({
    method,
    url: `/api/v3/projects/{project_id}/clusters/{cluster_id}${path}`,
    contentType: "application/json",
    queryParams: {},
    pathParams: { cluster_id: CLUSTER },
    headers: body ? { "Content-Type": "application/json" } : {},
    ...(body && { data: body }),
    responseHeaders: [""],
  });
}

async function sdkError(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error("the SDK call succeeded");
}

describe("the official Node SDK against a running server", () => {
  let api: Awaited<ReturnType<typeof testApi>>;
  let endpoint: string;
  beforeAll(async () => {
    api = await testApi("sqlite", { clock: systemClock() });
    endpoint = await api.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => api.close());

  it("ShowCluster and ListClusters succeed with valid keys", async () => {
    const client = cceClient(endpoint);
    const cluster = await client.showCluster({ cluster_id: CLUSTER, detail: "true" });
    expect(cluster).toMatchObject({
      httpStatusCode: 200,
      kind: "Cluster",
      metadata: { uid: CLUSTER },
      spec: { version: "v1.28.15-r30" },
    });
    const list = await client.listClusters({ status: "Available" });
    expect(list.items.map((c: { metadata: { name: string } }) => c.metadata.name)).toEqual(["legacy", "prod-a"]);
  });

  it("runs the upgrade routes through the core's signed client, temporary credentials included", async () => {
    const client = cceClient(endpoint, { ak: STS_AK, sk: STS_SK, securityToken: STS_TOKEN });
    const started = (await sendThroughCore(client, "POST", "/operation/upgrade", upgradeBody("v1.29"))) as {
      uid: string;
    };
    expect(started.uid).toMatch(/^[0-9a-f-]{36}$/);
    const task = (await sendThroughCore(client, "GET", `/operation/upgrade/tasks/${started.uid}`)) as {
      status: { phase: string };
    };
    expect(task.status.phase).toBe("Init");
    expect(await sendThroughCore(client, "POST", "/operation/upgrade/pause")).toMatchObject({ httpStatusCode: 200 });
  });

  it("fails with the APIGW error for a wrong SK or an unknown AK, with the request ID the SDK reads", async () => {
    for (const options of [{ sk: "wrong-secret" }, { ak: "UNKNOWNAK000", sk: "x" }]) {
      const error = await sdkError(cceClient(endpoint, options).showCluster({ cluster_id: CLUSTER }));
      expect(error).toMatchObject({ httpStatusCode: 401, errorCode: "APIGW.0301" });
      expect(error.requestId).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it("fails with 403 for another project's ID and 404 CCE.01404001 for an unknown cluster", async () => {
    const forbidden = await sdkError(
      cceClient(endpoint, { project: OTHER_PROJECT }).showCluster({ cluster_id: CLUSTER }),
    );
    expect(forbidden).toMatchObject({ httpStatusCode: 403, errorCode: "APIGW.0302" });
    const missing = await sdkError(
      cceClient(endpoint).showCluster({ cluster_id: "00000000-0000-4000-8000-000000000000" }),
    );
    expect(missing).toMatchObject({ httpStatusCode: 404, errorCode: "CCE.01404001" });
  });
});
