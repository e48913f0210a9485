import type { LookupAddress } from "node:dns";
import type { AddressInfo } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import type { HookDriverConfig } from "../../src/domain/driver-config.js";
import { parseSeed, SeedFileError } from "../../src/store/seed-file.js";
import { DIALECTS } from "../support/databases.js";
import { CLUSTER, PROJECT, profileSeed, testSeed } from "../support/fixtures.js";
import { answerJson, precheckHook, type RawReceiver, startRawReceiver, webhookTo } from "../support/hook-contract.js";
import { webhookSecret } from "../support/hook-receiver.js";
import { testSystem } from "../support/system.js";
import { expectCceError } from "../support/wire.js";

const SUCCESS = answerJson({ status: "Success" });
/** What a tenant sees for every webhook that cannot be reached, whatever the reason. */
const UNREACHABLE = { code: "HookUnreachable", retryable: true };

/** A resolver that answers from a table, counting its calls. */
function tableResolver(answers: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const addresses = answers[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { resolve, calls };
}

describe("which addresses a webhook may reach", () => {
  let v4: RawReceiver;
  let v6: RawReceiver;
  beforeAll(async () => {
    v4 = await startRawReceiver(SUCCESS, "127.0.0.1");
    v6 = await startRawReceiver(SUCCESS, "::1");
  });
  afterAll(async () => {
    await v4.close();
    await v6.close();
  });
  const connections = () => v4.connections + v6.connections;

  /** Host, the range it is in, and the receiver it reaches when allowed (none for addresses this machine lacks). */
  const literals: [string, string, (() => RawReceiver) | undefined][] = [
    ["127.0.0.1", "loopback", () => v4],
    ["10.0.0.1", "private", undefined],
    ["169.254.169.254", "linkLocal", undefined],
    ["[::1]", "loopback", () => v6],
    ["[::ffff:127.0.0.1]", "loopback", () => v4],
    ["0.0.0.0", "unspecified", () => v4],
  ];
  const urlOf = (host: string, receiver: (() => RawReceiver) | undefined) =>
    `http://${host}:${receiver?.().port ?? v4.port}/hook`;

  it.each(literals)("refuses %s (%s) without the operator's allowance, before connecting", async (host, range, to) => {
    const before = connections();
    const hook = precheckHook({ default: webhookTo(urlOf(host, to)) });
    const outcome = await hook.apply();
    expect(outcome).toMatchObject({ ok: false, failure: UNREACHABLE });
    expect(connections()).toBe(before);
    expect(hook.failures()).toEqual([expect.objectContaining({ refusedAddress: expect.any(String), range })]);
  });

  const reachable = literals.filter(([, , to]) => to !== undefined);
  it.each(reachable)("reaches %s with the profile's allowPrivateNetwork", async (host, _range, to) => {
    const before = to?.().requests ?? 0;
    const hook = precheckHook({ default: webhookTo(urlOf(host, to)), allowPrivateNetwork: true });
    expect(await hook.apply()).toMatchObject({ ok: true });
    expect(to?.().requests).toBe(before + 1);
  });

  it.each(reachable)("reaches %s with HOOK_ALLOW_PRIVATE_NETWORKS", async (host, _range, to) => {
    const before = to?.().requests ?? 0;
    const hook = precheckHook({ default: webhookTo(urlOf(host, to)) }, { allowPrivateNetworks: true });
    expect(await hook.apply()).toMatchObject({ ok: true });
    expect(to?.().requests).toBe(before + 1);
  });

  it("judges a name by every address it resolves to, before connecting", async () => {
    const before = connections();
    const dns = tableResolver({
      "mixed.test": ["93.184.215.14", "127.0.0.1"],
      "internal.test": ["10.1.2.3"],
      "mapped.test": ["::ffff:7f00:1"],
    });
    for (const [name, range] of [
      ["mixed.test", "loopback"],
      ["internal.test", "private"],
      ["mapped.test", "loopback"],
    ]) {
      const hook = precheckHook({ default: webhookTo(`http://${name}:${v4.port}/hook`) }, { resolve: dns.resolve });
      expect(await hook.apply()).toMatchObject({ ok: false, failure: UNREACHABLE });
      expect(hook.failures()).toEqual([expect.objectContaining({ range })]);
    }
    expect(dns.calls).toEqual(["mixed.test", "internal.test", "mapped.test"]);
    // The system's resolver too: localhost is loopback.
    const local = precheckHook({ default: webhookTo(`http://localhost:${v4.port}/hook`) });
    expect(await local.apply()).toMatchObject({ ok: false, failure: UNREACHABLE });
    expect(local.failures()).toEqual([expect.objectContaining({ range: "loopback" })]);
    expect(connections()).toBe(before);
  });

  it("resolves a name once per call and connects to the address it checked: a rebinding answer is never used", async () => {
    // Two receivers on one port: the checked answer (127.0.0.2) and the name's later answer (127.0.0.1).
    const checked = await startRawReceiver(SUCCESS, "127.0.0.2");
    const rebound = await startRawReceiver(SUCCESS, "127.0.0.1", checked.port);
    try {
      let answers = 0;
      const resolve = async (): Promise<LookupAddress[]> => {
        answers += 1;
        return [{ address: answers === 1 ? "127.0.0.2" : "127.0.0.1", family: 4 }];
      };
      const url = `http://localhost:${checked.port}/hook`;
      const hook = precheckHook({ default: webhookTo(url) }, { allowPrivateNetworks: true, resolve });
      expect(await hook.apply()).toMatchObject({ ok: true });
      expect(answers).toBe(1);
      expect([checked.requests, rebound.requests]).toEqual([1, 0]);
    } finally {
      await checked.close();
      await rebound.close();
    }
  });

  it("never follows a redirect: a 3xx is a failure that is not repeated", async () => {
    const elsewhere = await startRawReceiver(SUCCESS);
    const redirecting = await startRawReceiver((_request, response) => {
      response.writeHead(302, { location: elsewhere.url }).end();
    });
    try {
      const hook = precheckHook({ default: webhookTo(redirecting.url), allowPrivateNetwork: true, retries: 2 });
      expect(await hook.apply()).toMatchObject({ ok: false, failure: { code: "HookRejected", retryable: false } });
      expect([redirecting.requests, elsewhere.requests]).toEqual([1, 0]);
    } finally {
      await elsewhere.close();
      await redirecting.close();
    }
  });
});

describe("what a tenant sees of a webhook that cannot be reached", () => {
  const receivers: RawReceiver[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });
  const receiver = async (...args: Parameters<typeof startRawReceiver>) => {
    const started = await startRawReceiver(...args);
    receivers.push(started);
    return started;
  };

  it("refused port, unreachable host, DNS failure, refused address, reset, TLS error and timeout look alike", async () => {
    const closed = await startRawReceiver(SUCCESS);
    await closed.close();
    const resetting = await receiver((request) => request.socket.destroy());
    const silent = await receiver(() => undefined);
    const plain = await receiver(SUCCESS);
    const dns = tableResolver({});
    const allowed = { allowPrivateNetworks: true, resolve: dns.resolve };
    const cases = [
      precheckHook({ default: webhookTo(closed.url) }, allowed),
      // TCP to a multicast address fails in the kernel: no route for it, and nothing leaves the machine.
      precheckHook({ default: webhookTo("http://224.0.0.1/hook") }, allowed),
      precheckHook({ default: webhookTo("http://nowhere.test/hook") }, allowed),
      precheckHook({ default: webhookTo(plain.url) }),
      precheckHook({ default: webhookTo(resetting.url) }, allowed),
      precheckHook({ default: webhookTo(plain.url.replace("http:", "https:")) }, allowed),
      precheckHook({ default: webhookTo(silent.url, 0.2) }, allowed),
    ];
    const outcomes = [];
    for (const hook of cases) outcomes.push(await hook.apply());
    expect(outcomes[0]).toMatchObject({ ok: false, failure: UNREACHABLE });
    for (const outcome of outcomes) expect(outcome).toEqual(outcomes[0]);
    // The operator's log tells them apart.
    const details = cases.map((hook) => JSON.stringify(hook.failures()[0]?.error));
    expect(new Set(details).size).toBe(cases.length);
  });

  it("a TLS webhook keeps the host name for SNI; its handshake failure looks like any other", async () => {
    const names: string[] = [];
    const tls = createTlsServer({
      SNICallback: (servername, done) => {
        names.push(servername);
        done(new Error("no certificate for this test"));
      },
    });
    tls.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = tls.address() as AddressInfo;
      const dns = tableResolver({ "hooks.test": ["127.0.0.1"] });
      const hook = precheckHook(
        { default: webhookTo(`https://hooks.test:${port}/hook`) },
        { allowPrivateNetworks: true, resolve: dns.resolve },
      );
      expect(await hook.apply()).toMatchObject({ ok: false, failure: UNREACHABLE });
      expect(names).toEqual(["hooks.test"]);
    } finally {
      tls.close();
    }
  });
});

describe("a webhook URL's credentials", () => {
  const USER = "hook-user";
  const PASSWORD = "s3cret-pa55";
  const leaks = (text: string) => text.includes(PASSWORD) || text.includes(`${USER}:`);

  const withCredentials = (url: string) => url.replace("http://", `http://${USER}:${PASSWORD}@`);

  it("are refused in a driver config, by the API and in a seed, without being echoed", async () => {
    const driver = {
      type: "hook",
      default: webhookTo(withCredentials("http://hooks.example/cce")),
      secret: webhookSecret(),
    };
    const system = await testSystem("sqlite", { startEngine: false });
    try {
      const put = await system.call("PUT", `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/driver`, driver);
      expectCceError(put.response, 400, "CCE.01400001");
      expect(leaks(put.response.body)).toBe(false);
      expect((await system.call("GET", `/ext/v1/projects/${PROJECT}/clusters/${CLUSTER}/driver`)).body).toEqual({
        type: "simulator",
      });
    } finally {
      await system.close();
    }
    const seed = testSeed();
    const [project] = seed.projects;
    if (project) project.driverProfiles = ["creds"];
    seed.driverProfiles = { creds: driver as HookDriverConfig };
    let refusal: unknown;
    try {
      parseSeed(seed, "seed.json");
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(SeedFileError);
    expect(leaks((refusal as Error).message)).toBe(false);
  });

  it("in a URL stored before they were refused are neither sent nor shown in a reason or a log line", async () => {
    let authorization: string | undefined = "none yet";
    const rejecting = await startRawReceiver((request, response) => {
      authorization = request.headers.authorization;
      response.writeHead(403).end("no");
    });
    const closed = await startRawReceiver(SUCCESS);
    await closed.close();
    try {
      const hooks = [
        precheckHook({ default: webhookTo(withCredentials(rejecting.url)), allowPrivateNetwork: true }),
        precheckHook({ default: webhookTo(withCredentials(rejecting.url)) }),
        precheckHook({ default: webhookTo(withCredentials(closed.url)), allowPrivateNetwork: true }),
      ];
      for (const hook of hooks) {
        const outcome = await hook.apply();
        expect(outcome.ok).toBe(false);
        expect(leaks(JSON.stringify(outcome))).toBe(false);
        expect(leaks(hook.logText())).toBe(false);
      }
      expect(authorization).toBeUndefined();
    } finally {
      await rejecting.close();
    }
  });
});

describe("HOOK_ALLOW_PRIVATE_NETWORKS", () => {
  it("is true or false; another value stops the start naming it", () => {
    expect(loadConfig({}).allowHookPrivateNetworks).toBe(false);
    expect(loadConfig({ HOOK_ALLOW_PRIVATE_NETWORKS: "true" }).allowHookPrivateNetworks).toBe(true);
    expect(loadConfig({ HOOK_ALLOW_PRIVATE_NETWORKS: "false" }).allowHookPrivateNetworks).toBe(false);
    expect(() => loadConfig({ HOOK_ALLOW_PRIVATE_NETWORKS: "yes" })).toThrow(ConfigError);
    expect(() => loadConfig({ HOOK_ALLOW_PRIVATE_NETWORKS: "yes" })).toThrow(/HOOK_ALLOW_PRIVATE_NETWORKS/);
  });
});

describe.each(DIALECTS)("a tenant's upgrade through a loopback webhook on %s", (dialect) => {
  let system: Awaited<ReturnType<typeof testSystem>> | undefined;
  let hook: RawReceiver | undefined;
  afterEach(async () => {
    await system?.close();
    await hook?.close();
  });

  async function start(allowPrivateNetworks: boolean) {
    hook = await startRawReceiver(SUCCESS);
    const profile: HookDriverConfig = {
      type: "hook",
      default: webhookTo(hook.url),
      secret: webhookSecret(),
      retries: 0,
    };
    system = await testSystem(dialect, {
      seed: profileSeed({ hook: profile }, "hook"),
      hookNetwork: { allowPrivateNetworks },
    });
    return system;
  }

  it("fails with the one unreachable reason unless the operator allows private networks", async () => {
    const refused = await start(false);
    const taskId = await refused.startUpgrade(CLUSTER, "v1.29");
    const failed = await refused.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Failed");
    expect(failed.spec.items?.failureReason).toMatch(/^precheck: HookUnreachable: /);
    expect(hook?.connections).toBe(0);
  });

  it("reaches it with HOOK_ALLOW_PRIVATE_NETWORKS", async () => {
    const allowed = await start(true);
    const taskId = await allowed.startUpgrade(CLUSTER, "v1.29");
    await allowed.waitForTask(CLUSTER, taskId, (t) => t.status.phase === "Success");
    expect(hook?.requests).toBeGreaterThan(0);
  });
});
