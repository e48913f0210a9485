import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { HookDriverConfig } from "../../src/domain/driver-config.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, profileSeed } from "../support/fixtures.js";
import { answerJson, precheckHook, type RawReceiver, startRawReceiver, webhookTo } from "../support/hook-contract.js";
import { webhookSecret } from "../support/hook-receiver.js";
import { testSystem } from "../support/system.js";

const ANSWER_LIMIT = 64 * 1024;
const SECRET = "sk_live_51HcQ9hTz0pSECRETvalue";

const receivers: RawReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});
async function receiver(...args: Parameters<typeof startRawReceiver>) {
  const started = await startRawReceiver(...args);
  receivers.push(started);
  return started;
}

/** Writes `total` bytes of JSON-looking text, chunk by chunk as the socket takes them, never holding more than one. */
function streamAnswer(response: ServerResponse, total: number, sent: { bytes: number; closedEarly: boolean }) {
  const chunk = Buffer.alloc(64 * 1024, "a");
  response.on("close", () => {
    sent.closedEarly = !response.writableFinished;
  });
  const writeMore = () => {
    while (sent.bytes < total && !response.destroyed) {
      sent.bytes += chunk.length;
      if (!response.write(chunk)) return void response.once("drain", writeMore);
    }
    if (!response.destroyed) response.end();
  };
  writeMore();
}

describe("a webhook's answer", () => {
  // An answer that declares its length is closed before its body is read; one sent in chunks once the body read
  // crosses the limit, so one more socket read (64 KiB) comes in than is kept.
  it.each([
    [200, "declared", ANSWER_LIMIT],
    [200, "chunked", 2 * ANSWER_LIMIT + 1024],
    [503, "declared", ANSWER_LIMIT],
  ])(
    "a 400 MB answer (%i, %s length) ends the call once 64 KiB are read, closing the connection",
    async (status, length, received) => {
      const total = 400 * 1024 * 1024;
      const sent = { bytes: 0, closedEarly: false };
      const hook400 = await receiver((_request, response) => {
        response.writeHead(status, {
          "content-type": "application/json",
          ...(length === "declared" && { "content-length": total }),
        });
        streamAnswer(response, total, sent);
      });
      const hook = precheckHook({ default: webhookTo(hook400.url, 20), allowPrivateNetwork: true });
      const outcome = await hook.apply();
      expect(outcome).toMatchObject({
        ok: false,
        failure: status === 200 ? { code: "HookAnswerTooLarge", retryable: false } : { code: "HookUnavailable" },
      });
      const logged = hook.failures()[0] ?? {};
      expect(logged.bytesReceived).toBeGreaterThan(0);
      expect(logged.bytesReceived).toBeLessThanOrEqual(received);
      await expect.poll(() => sent.closedEarly, { timeout: 5_000 }).toBe(true);
      expect(sent.bytes).toBeLessThan(total / 10);
    },
  );

  it("that is not a 2xx shows the tenant a fixed reason; the body goes to the log", async () => {
    const body = `{"error":"forbidden","debug":"token=${SECRET}"}`;
    const cases: [number, { code: string; message: string; retryable: boolean }][] = [
      [403, { code: "HookRejected", message: "webhook answered 403", retryable: false }],
      [500, { code: "HookUnavailable", message: "webhook answered 500", retryable: true }],
    ];
    for (const [status, failure] of cases) {
      const answering = await receiver((_request, response) => response.writeHead(status).end(body));
      const hook = precheckHook({ default: webhookTo(answering.url), allowPrivateNetwork: true });
      expect(await hook.apply()).toEqual({ ok: false, failure });
      expect(hook.failures()).toEqual([expect.objectContaining({ status, answer: body })]);
    }
  });

  it("that is a 2xx but not a status shows the tenant a fixed reason; the body goes to the log", async () => {
    const body = `<html>login page ${SECRET}</html>`;
    const answering = await receiver((_request, response) => response.writeHead(200).end(body));
    const hook = precheckHook({ default: webhookTo(answering.url), allowPrivateNetwork: true });
    const outcome = await hook.apply();
    expect(outcome).toMatchObject({ ok: false, failure: { code: "HookBadAnswer", retryable: false } });
    expect(JSON.stringify(outcome)).not.toContain(SECRET);
    expect(hook.failures()).toEqual([expect.objectContaining({ answer: body })]);
  });

  it("Failure: the declared reason without control characters, at most 512 characters; a code that looks like one", async () => {
    const answers: [object, { code: string; message: string }][] = [
      [
        {
          status: "Failure",
          reason: "\u001b[31mdrain\u001b[0m failed\r\nsee\u0007 \u202etxt.exe",
          errorCode: "Drain.Failed-1",
        },
        { code: "Drain.Failed-1", message: "[31mdrain[0m failed see txt.exe" },
      ],
      [
        { status: "Failure", reason: "x".repeat(5000), errorCode: "bad code!" },
        { code: "HookFailed", message: "x".repeat(512) },
      ],
      [
        { status: "Failure", reason: "why", errorCode: `A${"b".repeat(64)}` },
        { code: "HookFailed", message: "why" },
      ],
      [
        { status: "Failure", reason: "why", errorCode: "9lives" },
        { code: "HookFailed", message: "why" },
      ],
      [
        { status: "Failure", reason: "why", errorCode: `A${"b".repeat(63)}` },
        { code: `A${"b".repeat(63)}`, message: "why" },
      ],
    ];
    for (const [answer, failure] of answers) {
      const answering = await receiver(answerJson(answer));
      const hook = precheckHook({ default: webhookTo(answering.url), allowPrivateNetwork: true });
      expect(await hook.apply()).toEqual({ ok: false, failure: { ...failure, retryable: false } });
    }
  });
});

describe("an exec hook's output", () => {
  const FAILING = [
    "/bin/sh",
    "-c",
    `echo "draining node" >&2; echo "SECRET=${SECRET}" >&2; printf 'last\\033 line\\n' >&2; exit 3`,
  ];

  it("shows no stderr by default: the reason is fixed, stderr goes to the log", async () => {
    const hook = precheckHook({ default: { type: "exec", command: FAILING } });
    expect(await hook.apply()).toEqual({
      ok: false,
      failure: { code: "HookExit3", message: "the hook command exited with 3", retryable: false },
    });
    expect(hook.logText()).toContain(`SECRET=${SECRET}`);
  });

  it.each([
    [1, "last line"],
    [2, `SECRET=${SECRET}; last line`],
    [20, `draining node; SECRET=${SECRET}; last line`],
  ])("shows the last %i stderr lines with exposeStderr", async (lines, message) => {
    const hook = precheckHook({ default: { type: "exec", command: FAILING }, exposeStderr: lines });
    expect(await hook.apply()).toEqual({ ok: false, failure: { code: "HookExit3", message, retryable: false } });
  });

  it("keeps at most 512 characters of exposed stderr, the end of it", async () => {
    const command = ["/bin/sh", "-c", `head -c 100000 /dev/zero | tr '\\0' 'e' >&2; echo ' end' >&2; exit 1`];
    const hook = precheckHook({ default: { type: "exec", command }, exposeStderr: 3 });
    const outcome = await hook.apply();
    expect(outcome).toEqual({
      ok: false,
      failure: { code: "HookExit1", message: expect.any(String), retryable: false },
    });
    const message = outcome.ok ? "" : outcome.failure.message;
    expect(message).toHaveLength(512);
    expect(message.endsWith("e end")).toBe(true);
  });

  it("discards stdout: a command that prints 64 MB on it is not held up", async () => {
    const command = ["/bin/sh", "-c", "head -c 67108864 /dev/zero"];
    const hook = precheckHook({ default: { type: "exec", command, timeoutSeconds: 10 } });
    expect(await hook.apply()).toMatchObject({ ok: true });
  });
});

describe.each(DIALECTS)("failure reasons in a tenant's task on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>> | undefined;
  afterEach(async () => {
    await system?.close();
    system = undefined;
  });

  async function failedPrecheck(driver: object) {
    const profile = { type: "hook", retries: 0, ...driver } as HookDriverConfig;
    system = await testSystem(dialect, { seed: profileSeed({ hook: profile }, "hook") });
    const taskId = await system.startUpgrade(CLUSTER, "v1.29");
    const task = await system.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    const plan = await system.plan(CLUSTER, taskId);
    return { reason: task.spec.items?.failureReason, shown: JSON.stringify([task, plan]) };
  }

  it("a webhook's 403 body is not in the task or its plan", async () => {
    const forbidding = await receiver((_request, response) => response.writeHead(403).end(`token=${SECRET}`));
    const { reason, shown } = await failedPrecheck({
      default: webhookTo(forbidding.url),
      secret: webhookSecret(),
      allowPrivateNetwork: true,
    });
    expect(reason).toBe("precheck: HookRejected: webhook answered 403");
    expect(shown).not.toContain(SECRET);
  });

  it("an exec hook's stderr is not in the task or its plan unless the profile exposes it", async () => {
    const command = ["/bin/sh", "-c", `echo "SECRET=${SECRET}" >&2; exit 3`];
    const hidden = await failedPrecheck({ default: { type: "exec", command } });
    expect(hidden.reason).toBe("precheck: HookExit3: the hook command exited with 3");
    expect(hidden.shown).not.toContain(SECRET);
    await system?.close();
    const exposed = await failedPrecheck({ default: { type: "exec", command }, exposeStderr: 1 });
    expect(exposed.reason).toBe(`precheck: HookExit3: SECRET=${SECRET}`);
  });
});
