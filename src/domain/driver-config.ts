import { type Static, Type } from "typebox";
import { STEP_KINDS, type StepKind } from "./upgrade-plan.js";

const timeoutSeconds = Type.Optional(
  Type.Number({ exclusiveMinimum: 0, maximum: 3600, description: "Timeout of one call (default 10)." }),
);

const WebhookTransport = Type.Object(
  {
    type: Type.Literal("webhook"),
    url: Type.String({
      // No `user:password@`: calls are signed, and a credential in a URL would show wherever the URL does.
      pattern: "^https?://[^/?#@]+([/?#]|$)",
      maxLength: 2048,
      description: "Receives a signed POST per call; no user:password@ part.",
    }),
    timeoutSeconds,
  },
  { additionalProperties: false },
);

const ExecTransport = Type.Object(
  {
    type: Type.Literal("exec"),
    command: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      maxItems: 64,
      description:
        "Program and arguments, run without a shell; the step request comes on stdin and in CCE_* variables.",
    }),
    timeoutSeconds,
  },
  { additionalProperties: false },
);

const Transport = Type.Union([WebhookTransport, ExecTransport]);

/** A hook profile: the hooks an operator defines in the seed file; tenants only choose one by its name. */
export const HookProfileSchema = Type.Object(
  {
    type: Type.Optional(
      Type.Literal("hook", { description: "`hook` (the default when absent): hooks run every step." }),
    ),
    default: Transport,
    steps: Type.Optional(
      Type.Object(
        {
          precheck: Type.Optional(Transport),
          backup: Type.Optional(Transport),
          master: Type.Optional(Transport),
          addon: Type.Optional(Transport),
          node: Type.Optional(Transport),
        },
        { additionalProperties: false, description: "Transports for single step kinds; the others use `default`." },
      ),
    ),
    secret: Type.Optional(
      Type.String({
        pattern: "^whsec_[A-Za-z0-9+/]{22,}={0,2}$",
        description: "Standard Webhooks secret (`whsec_` + base64 of 16+ bytes) that signs every webhook call.",
      }),
    ),
    stepDeadlineSeconds: Type.Optional(
      Type.Number({ minimum: 0.1, maximum: 604800, description: "How long one target may take (default 3600)." }),
    ),
    retries: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 20, description: "Calls repeated after a timeout or 5xx (default 2)." }),
    ),
    retryBackoffSeconds: Type.Optional(
      Type.Number({ minimum: 0, maximum: 600, description: "Base of the jittered exponential backoff (default 1)." }),
    ),
    allowPrivateNetwork: Type.Optional(
      Type.Boolean({
        description:
          "Let webhooks reach loopback, private, link-local, multicast and unspecified addresses (default false).",
      }),
    ),
    exposeStderr: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 20,
        description: "How many last lines of an exec hook's stderr a failure reason may show (default 0: none).",
      }),
    ),
    pollSeconds: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 3600,
        description: "Wait before calling again after exit 75 or InProgress without retryAfterSeconds (default 5).",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Settings every hook call of a profile shares (signing, retries, reach, what a failure may show). */
const HOOK_CALL_SETTINGS = {
  secret: HookProfileSchema.properties.secret,
  retries: HookProfileSchema.properties.retries,
  retryBackoffSeconds: HookProfileSchema.properties.retryBackoffSeconds,
  allowPrivateNetwork: HookProfileSchema.properties.allowPrivateNetwork,
  exposeStderr: HookProfileSchema.properties.exposeStderr,
  pollSeconds: HookProfileSchema.properties.pollSeconds,
  stepDeadlineSeconds: HookProfileSchema.properties.stepDeadlineSeconds,
};

/** The names of those settings, which a Kubernetes profile hands to its hook calls as they are. */
export const HOOK_CALL_SETTING_NAMES = Object.keys(HOOK_CALL_SETTINGS) as (keyof typeof HOOK_CALL_SETTINGS)[];

const seconds = (description: string, maximum = 86400) =>
  Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum, description }));

const DrainSettings = Type.Object(
  {
    timeoutSeconds: seconds("How long a node's drain may take, PodDisruptionBudget waits included (default 600)."),
    podGracePeriodSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 86400,
        description: "Each evicted pod's grace period (default: the pod's own).",
      }),
    ),
    deleteEmptyDirData: Type.Optional(
      Type.Boolean({
        description: "Evict pods with emptyDir volumes, losing that data (default false: the drain fails).",
      }),
    ),
    skipDaemonSets: Type.Optional(
      Type.Boolean({
        description: "Leave DaemonSet pods on the node, as `kubectl drain --ignore-daemonsets` (default true).",
      }),
    ),
    evictionRetrySeconds: seconds(
      "First wait after a 429 from a PodDisruptionBudget; doubles up to 8 times it (default 5).",
      600,
    ),
  },
  { additionalProperties: false },
);

/**
 * A profile that upgrades a real cluster: the service cordons, drains (Eviction API), verifies and uncordons each node
 * through the Kubernetes API; the operator's hooks change versions (`nodeUpgrade` per drained node, the control plane,
 * add-ons) and take the backup.
 */
export const KubernetesProfileSchema = Type.Object(
  {
    type: Type.Literal("kubernetes"),
    kubeconfig: Type.String({
      pattern: "^/",
      maxLength: 4096,
      description: "Absolute path of a kubeconfig file on the server; never shown to a tenant.",
    }),
    context: Type.Optional(
      Type.String({ minLength: 1, maxLength: 253, description: "Its context to use (default: current)." }),
    ),
    poolLabel: Type.Optional(
      Type.String({
        pattern: "^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$",
        description:
          "Node label naming a node's pool (default `cce.cloud.com/cce-nodepool`); unlabelled: `DefaultPool`.",
      }),
    ),
    nodeUpgrade: Transport,
    controlPlaneUpgrade: Type.Optional(Transport),
    addonUpgrade: Type.Optional(Transport),
    backup: Type.Optional(Transport),
    drain: Type.Optional(DrainSettings),
    nodeReadyTimeoutSeconds: seconds(
      "How long a node (or the API server) may take to report the target version, Ready, after its hook (default 600).",
    ),
    soakSeconds: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 86400,
        description: "Wait after each node batch before the next (default 0).",
      }),
    ),
    ...HOOK_CALL_SETTINGS,
  },
  { additionalProperties: false },
);

/** A driver profile in the seed's `driverProfiles`: hooks for every step, or a real cluster through its API. */
export const DriverProfileSchema = Type.Union([HookProfileSchema, KubernetesProfileSchema]);

/** Whether a profile drives a cluster through the Kubernetes API. */
export function isKubernetesProfile(profile: DriverProfile): profile is KubernetesDriverConfig {
  return profile.type === "kubernetes";
}

/** The hook transports of a Kubernetes profile, by the step kind they serve. */
export function kubernetesTransports(profile: KubernetesDriverConfig): Partial<Record<StepKind, HookTransport>> {
  return {
    node: profile.nodeUpgrade,
    ...(profile.controlPlaneUpgrade && { master: profile.controlPlaneUpgrade }),
    ...(profile.addonUpgrade && { addon: profile.addonUpgrade }),
    ...(profile.backup && { backup: profile.backup }),
  };
}

/** The hook a Kubernetes profile's step kind needs and lacks, in the profile's own words; undefined when it has it. */
export function missingKubernetesHook(profile: KubernetesDriverConfig, kind: StepKind): string | undefined {
  const names: Partial<Record<StepKind, string>> = {
    master: "controlPlaneUpgrade",
    addon: "addonUpgrade",
    backup: "backup",
  };
  const name = names[kind];
  return name !== undefined && kubernetesTransports(profile)[kind] === undefined ? name : undefined;
}

/** A profile's name: its key under the seed's `driverProfiles`. */
export const PROFILE_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

/**
 * What a tenant may choose for a cluster: the simulator or a profile by name. One object (not a union) so that a
 * validation error names the offending field, e.g. `default` in a hook config written the old way.
 */
export const DriverChoiceSchema = Type.Object(
  {
    type: Type.Enum(["simulator", "profile"], { description: "`simulator` (default) or `profile`." }),
    profile: Type.Optional(
      Type.String({
        pattern: PROFILE_NAME_PATTERN,
        description: "With `type: profile`: a profile the project may use.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type DriverChoice = { readonly type: "simulator" } | { readonly type: "profile"; readonly profile: string };
export type HookDriverConfig = Static<typeof HookProfileSchema>;
export type KubernetesDriverConfig = Static<typeof KubernetesProfileSchema>;
export type DriverProfile = Static<typeof DriverProfileSchema>;
export type HookTransport = Static<typeof Transport>;

export const SIMULATOR_CHOICE: DriverChoice = { type: "simulator" };

/**
 * A stored choice. Anything but a profile by name is the simulator, as migration 0006 made every inline hook: a row
 * written by an older replica during a rolling upgrade must not run a tenant's command either.
 */
export function parseDriverChoice(json: string | null): DriverChoice {
  const stored = json === null ? undefined : (JSON.parse(json) as { type?: unknown; profile?: unknown });
  if (stored?.type === "profile" && typeof stored.profile === "string") {
    return { type: "profile", profile: stored.profile };
  }
  return SIMULATOR_CHOICE;
}

/** The transport that runs a step kind. */
export function transportFor(config: HookDriverConfig, kind: StepKind): HookTransport {
  return config.steps?.[kind] ?? config.default;
}

function usesWebhooks(config: DriverProfile): boolean {
  if (isKubernetesProfile(config)) {
    return Object.values(kubernetesTransports(config)).some((transport) => transport.type === "webhook");
  }
  return STEP_KINDS.some((kind) => transportFor(config, kind).type === "webhook");
}

/** What the schema cannot say: webhooks need the profile's secret. Undefined when the profile is whole. */
export function driverProfileProblem(profile: DriverProfile): string | undefined {
  if (usesWebhooks(profile) && profile.secret === undefined) return "needs a secret: its webhook calls are signed";
  return undefined;
}

/**
 * The transport kind of `default` and of each step kind that has its own (a Kubernetes profile: of each hook, the
 * node step's `kubernetes` beside it): never a command, URL, path or secret.
 */
export function transportKinds(profile: DriverProfile): Record<string, HookTransport["type"] | "kubernetes"> {
  if (isKubernetesProfile(profile)) {
    const hooks = Object.entries(kubernetesTransports(profile)).map(([kind, transport]) => [kind, transport.type]);
    return { default: "kubernetes", ...Object.fromEntries(hooks) };
  }
  const kinds: Record<string, HookTransport["type"]> = { default: profile.default.type };
  for (const kind of STEP_KINDS) {
    const transport = profile.steps?.[kind];
    if (transport) kinds[kind] = transport.type;
  }
  return kinds;
}
