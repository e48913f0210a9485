import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../src/index.js";
import { CLUSTER, PROJECT, TOKEN, testSeed, upgradeBody } from "./support/fixtures.js";

/** The in-process start, through the package's entry point and plain HTTP, as a user's test suite would use it. */
describe("startEmulator", () => {
  const started: Emulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });
  const start = async (...args: Parameters<typeof startEmulator>) => {
    const emulator = await startEmulator(...args);
    started.push(emulator);
    return emulator;
  };

  const headers = { "x-auth-token": TOKEN, "content-type": "application/json" };
  const clusterUrl = (emulator: Emulator) => `${emulator.url}/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
  const version = async (emulator: Emulator) =>
    ((await (await fetch(clusterUrl(emulator), { headers })).json()) as { spec: { version: string } }).spec.version;

  it("runs two isolated instances side by side, each upgrading its own copy of the cluster", async () => {
    const [a, b] = await Promise.all([start({ seed: testSeed(), simSpeed: 400 }), start({ seed: testSeed() })]);
    expect(a.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(a.url).not.toBe(b.url);
    const upgrade = await fetch(`${clusterUrl(a)}/operation/upgrade`, {
      method: "POST",
      headers,
      body: JSON.stringify(upgradeBody("v1.29")),
    });
    expect(upgrade.status).toBe(200);
    const { uid } = (await upgrade.json()) as { uid: string };
    const phase = async () =>
      (
        (await (await fetch(`${clusterUrl(a)}/operation/upgrade/tasks/${uid}`, { headers })).json()) as {
          status: { phase: string };
        }
      ).status.phase;
    await expect.poll(phase, { timeout: 20_000, interval: 50 }).toBe("Success");
    expect(await version(a)).toBe("v1.29.15-r50");
    expect(await version(b)).toBe("v1.28.15-r30");
    const other = await fetch(`${clusterUrl(b)}/operation/upgrade/tasks/${uid}`, { headers });
    expect(other.status).toBe(404);
  });

  it("seeds the demo project when no seed is given, and returns its credentials", async () => {
    const emulator = await start();
    expect(emulator.demo).toBeDefined();
    const { projectId, token } = emulator.demo as NonNullable<Emulator["demo"]>;
    const list = await fetch(`${emulator.url}/api/v3/projects/${projectId}/clusters`, {
      headers: { "x-auth-token": token },
    });
    expect(list.status).toBe(200);
  });

  it("frees its port on close", async () => {
    const emulator = await startEmulator({ seed: testSeed() });
    expect((await fetch(`${emulator.url}/healthz`)).status).toBe(200);
    await emulator.close();
    await expect(fetch(`${emulator.url}/healthz`)).rejects.toThrow();
  });

  it("refuses options the server would refuse, naming them", async () => {
    await expect(startEmulator({ simSpeed: -1 })).rejects.toThrow(/SIM_SPEED/);
    await expect(startEmulator({ seed: { projects: "none" } })).rejects.toThrow(/emulator's seed/);
  });
});
