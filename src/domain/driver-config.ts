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

/** A driver profile: the hooks an operator defines in the seed file; tenants only choose one by its name. */
export const DriverProfileSchema = Type.Object(
  {
    type: Type.Optional(Type.Literal("hook", { description: "Optional: a profile is always a hook driver." })),
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
export type HookDriverConfig = Static<typeof DriverProfileSchema>;
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

function usesWebhooks(config: HookDriverConfig): boolean {
  return STEP_KINDS.some((kind) => transportFor(config, kind).type === "webhook");
}

/** What the schema cannot say: webhooks need the profile's secret. Undefined when the profile is whole. */
export function driverProfileProblem(profile: HookDriverConfig): string | undefined {
  if (usesWebhooks(profile) && profile.secret === undefined) return "needs a secret: its webhook calls are signed";
  return undefined;
}

/** The transport kind of `default` and of each step kind that has its own: never a command, URL or secret. */
export function transportKinds(profile: HookDriverConfig): Record<string, HookTransport["type"]> {
  const kinds: Record<string, HookTransport["type"]> = { default: profile.default.type };
  for (const kind of STEP_KINDS) {
    const transport = profile.steps?.[kind];
    if (transport) kinds[kind] = transport.type;
  }
  return kinds;
}
