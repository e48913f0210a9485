import { afterEach } from "vitest";
import {
  type AccessKeyCredential,
  CceUpgradeClient,
  type TokenCredential,
  type UpgradeClusterRequest,
} from "../../src/client/index.js";
import { type Emulator, startEmulator } from "../../src/index.js";
import { PROJECT, TOKEN, testSeed } from "./fixtures.js";

/** Starts emulators on the test seed (fast simulator) and closes every one of them after each test. */
export function emulatorsClosedAfterEach(): () => Promise<Emulator> {
  const started: Emulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });
  return async () => {
    const emulator = await startEmulator({ seed: testSeed(), simSpeed: 400 });
    started.push(emulator);
    return emulator;
  };
}

/** A client of the emulator's first project; the token unless another credential is given. */
export function clientOf(
  emulator: Emulator,
  credential: TokenCredential | AccessKeyCredential = { token: TOKEN },
): CceUpgradeClient {
  return new CceUpgradeClient({ endpoint: emulator.url, projectId: PROJECT, ...credential });
}

/** UpgradeCluster's body as terraform sends it, with batches of at most two nodes. */
export function upgradeBody(
  targetVersion: string,
  action: Partial<UpgradeClusterRequest["body"]["spec"]["clusterUpgradeAction"]> = {},
): UpgradeClusterRequest["body"] {
  return {
    metadata: { apiVersion: "v3", kind: "UpgradeTask" },
    spec: {
      clusterUpgradeAction: {
        targetVersion,
        strategy: { type: "inPlaceRollingUpdate", inPlaceRollingUpdate: { userDefinedStep: 2 } },
        ...action,
      },
    },
  };
}
