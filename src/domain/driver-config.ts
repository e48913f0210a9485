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

const HookDriver = Type.Object(
  {
    type: Type.Literal("hook"),
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

/** How a cluster's steps are carried out: the simulator (the default) or the hooks of its platform team. */
export const DriverConfigSchema = Type.Union(
  [Type.Object({ type: Type.Literal("simulator") }, { additionalProperties: false }), HookDriver],
  {
    description:
      "What runs the upgrade steps: `simulator` (default) or `hook`. A seed sets it once; later through the API.",
  },
);

export type DriverConfig = Static<typeof DriverConfigSchema>;
export type HookDriverConfig = Static<typeof HookDriver>;
export type HookTransport = Static<typeof Transport>;

export const SIMULATOR_CONFIG: DriverConfig = { type: "simulator" };

/** The transport that runs a step kind. */
export function transportFor(config: HookDriverConfig, kind: StepKind): HookTransport {
  return config.steps?.[kind] ?? config.default;
}

function usesWebhooks(config: HookDriverConfig): boolean {
  return STEP_KINDS.some((kind) => transportFor(config, kind).type === "webhook");
}

/** What the schema cannot say: webhooks need the cluster's secret. Undefined when the config is whole. */
export function driverConfigProblem(config: DriverConfig): string | undefined {
  if (config.type === "hook" && usesWebhooks(config) && config.secret === undefined) {
    return "needs a secret: its webhook calls are signed";
  }
  return undefined;
}

/** The config as it may be shown: the secret is replaced by whether there is one. */
export function publicDriverConfig(config: DriverConfig) {
  if (config.type !== "hook") return config;
  const { secret, ...rest } = config;
  return { ...rest, secretSet: secret !== undefined };
}
