import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CceUpgradeClient,
  CceUpgradeClientError,
  type CceUpgradeClientOptions,
  CceUpgradeConnectionError,
} from "../../src/client/index.js";
import { clientOf, emulatorsClosedAfterEach, upgradeBody } from "../support/client-emulators.js";
import { AK, CLUSTER, PROJECT, STS_AK, STS_SK, TOKEN } from "../support/fixtures.js";

interface Answer {
  readonly requestId: string | null;
  readonly body: string;
}

/** Every answer the client gets, read beside it through the fetch it calls: its X-Request-Id header and its body. */
function recordAnswers(): Answer[] {
  const answers: Answer[] = [];
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const response = await realFetch(input, init);
    answers.push({ requestId: response.headers.get("x-request-id"), body: await response.clone().text() });
    return response;
  });
  return answers;
}

async function rejectionOf(call: Promise<unknown>): Promise<CceUpgradeClientError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CceUpgradeClientError);
  return error as CceUpgradeClientError;
}

/** The four fields match the answer as read another way: the header, and both key forms of the body. */
function expectFieldsOf(error: CceUpgradeClientError, answer: Answer | undefined): void {
  expect(error.requestId).toMatch(/^[0-9a-f]{32}$/);
  expect(error.requestId).toBe(answer?.requestId);
  expect(JSON.parse(answer?.body ?? "")).toMatchObject({
    error_code: error.errorCode,
    errorCode: error.errorCode,
    error_msg: error.errorMsg,
    errorMessage: error.errorMsg,
  });
}

describe("CceUpgradeClient errors", () => {
  const start = emulatorsClosedAfterEach();
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("rejects a 404 with the status, CCE's code and message, and the answer's request ID", async () => {
    const client = clientOf(await start());
    const answers = recordAnswers();
    const error = await rejectionOf(client.showUpgradeClusterTask({ cluster_id: CLUSTER, task_id: "no-such-task" }));
    expect(error).toMatchObject({ httpStatusCode: 404, errorCode: "CCE.01404001" });
    expect(error.errorMsg).toContain("no-such-task");
    expect(error.message).toContain("CCE.01404001");
    expect(answers).toHaveLength(1);
    expectFieldsOf(error, answers[0]);
  });

  it("rejects a second upgrade of a cluster with 429 CCE.01429002", async () => {
    const client = clientOf(await start());
    await client.upgradeCluster({ cluster_id: CLUSTER, body: upgradeBody("v1.29") });
    const answers = recordAnswers();
    const error = await rejectionOf(client.upgradeCluster({ cluster_id: CLUSTER, body: upgradeBody("v1.29") }));
    expect(error).toMatchObject({ httpStatusCode: 429, errorCode: "CCE.01429002" });
    expect(error.errorMsg).toContain("already has an upgrade task");
    expectFieldsOf(error, answers[0]);
  });

  it("rejects a request signed with a wrong secret key with the gateway's 401, whose body repeats the request ID", async () => {
    const client = clientOf(await start(), { ak: AK, sk: "not-the-secret-key" });
    const answers = recordAnswers();
    const error = await rejectionOf(client.listUpgradeClusterTasks({ cluster_id: CLUSTER }));
    expect(error).toMatchObject({ httpStatusCode: 401, errorCode: "APIGW.0301" });
    expectFieldsOf(error, answers[0]);
    expect(JSON.parse(answers[0]?.body ?? "").request_id).toBe(error.requestId);
  });

  it("rejects STS keys sent without their security token", async () => {
    const client = clientOf(await start(), { ak: STS_AK, sk: STS_SK });
    const error = await rejectionOf(client.listClusters());
    expect(error).toMatchObject({ httpStatusCode: 401, errorCode: "APIGW.0301" });
  });

  it("rejects a PUT with a profile the project may not use, and a DELETE of an unknown fault", async () => {
    const client = clientOf(await start());
    const profile = await rejectionOf(
      client.updateClusterDriver({ cluster_id: CLUSTER, body: { type: "profile", profile: "nobody-s" } }),
    );
    expect(profile).toMatchObject({ httpStatusCode: 400, errorCode: "CCE.01400001" });
    const fault = await rejectionOf(client.deleteFault({ cluster_id: CLUSTER, fault_id: "no-such-fault" }));
    expect(fault).toMatchObject({ httpStatusCode: 404, errorCode: "CCE.01404001" });
  });

  it("sends an ID with slashes as one path segment, which reaches the route it names", async () => {
    const client = clientOf(await start());
    const error = await rejectionOf(client.showPreCheck({ cluster_id: CLUSTER, task_id: "a/../../../upgradeinfo" }));
    // CCE's own 404 for an unknown pre-check, not the gateway's APIGW.0101 for a path no route serves.
    expect(error).toMatchObject({ httpStatusCode: 404, errorCode: "CCE.01404001" });
    expect(error.errorMsg).toContain("a/../../../upgradeinfo");
  });

  it("refuses dot-segment IDs and unclear options before sending anything", async () => {
    const client = clientOf(await start());
    const answers = recordAnswers();
    await expect(client.showUpgradeClusterTask({ cluster_id: CLUSTER, task_id: ".." })).rejects.toThrow(TypeError);
    await expect(client.listFaults({ cluster_id: "" })).rejects.toThrow(/cluster_id/);
    expect(answers).toEqual([]);

    const settings = { endpoint: "http://127.0.0.1:1", projectId: PROJECT };
    expect(() => new CceUpgradeClient({ ...settings, endpoint: "127.0.0.1:8080", token: TOKEN })).toThrow(/endpoint/);
    const both = { ...settings, token: TOKEN, ak: AK, sk: "secret" } as unknown as CceUpgradeClientOptions;
    expect(() => new CceUpgradeClient(both)).toThrow(/either token, or ak and sk/);
  });

  it("rejects with a connection error, not an API error, when the endpoint does not answer", async () => {
    const emulator = await start();
    const client = clientOf(emulator);
    await emulator.close();
    const error = await client.listClusters().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(CceUpgradeConnectionError);
    expect(error).not.toBeInstanceOf(CceUpgradeClientError);
    expect((error as CceUpgradeConnectionError).endpoint).toBe(emulator.url);
    expect((error as Error).message).toMatch(/^the endpoint http:\/\/127\.0\.0\.1:\d+ did not answer: .*ECONNREFUSED/);
  });
});
