import type { DriverProfile } from "../../src/domain/driver-config.js";
import { parseSeed, type SeedFile } from "../../src/store/seed-file.js";
import type { FakeKubernetes } from "./fake-kubernetes.js";
import { testSeed } from "./fixtures.js";

const KUBELET_HOOK = new URL("../drivers/scripts/kubelet-upgrade.mjs", import.meta.url).pathname;
const CONTROL_PLANE_HOOK = new URL("../drivers/scripts/control-plane-upgrade.mjs", import.meta.url).pathname;
/** The test seed's cluster runs v1.28.15-r30; its kubelets report the Kubernetes version. */
export const KUBELET_FROM = "v1.28.15";
/** v1.29 resolves to the catalogue's newest v1.29 release, v1.29.15-r50, whose kubelets report v1.29.15. */
export const KUBELET_TO = "v1.29.15";

/** A kubernetes profile on the fake, with its hooks the fake's simulated kubelet and control plane. */
export function kubernetesProfile(fake: FakeKubernetes, extra: Record<string, unknown> = {}): DriverProfile {
  return {
    type: "kubernetes",
    kubeconfig: fake.kubeconfigPath,
    nodeUpgrade: { type: "exec", command: [process.execPath, KUBELET_HOOK, fake.url, fake.token], timeoutSeconds: 30 },
    controlPlaneUpgrade: {
      type: "exec",
      command: [process.execPath, CONTROL_PLANE_HOOK, fake.url, fake.token],
      timeoutSeconds: 30,
    },
    backup: { type: "exec", command: ["/bin/true"] },
    drain: { evictionRetrySeconds: 0.1, timeoutSeconds: 20 },
    nodeReadyTimeoutSeconds: 20,
    ...extra,
  } as DriverProfile;
}

/** The test seed with CLUSTER on a kubernetes profile. */
export function kubernetesSeed(profile: DriverProfile): SeedFile {
  const seed = testSeed();
  const [project] = seed.projects;
  const [cluster] = project?.clusters ?? [];
  if (!project || !cluster) throw new Error("test seed has no project or cluster");
  seed.driverProfiles = { k8s: profile };
  project.driverProfiles = ["k8s"];
  cluster.driver = "k8s";
  return parseSeed(seed, "test seed");
}
