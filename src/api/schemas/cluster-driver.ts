import { Type } from "typebox";

const TransportKind = Type.Enum(["exec", "webhook", "kubernetes"]);

/** What a tenant sees of a cluster's driver: a profile's name and transport kinds, never its commands, URLs or secret. */
export const DriverView = Type.Object(
  {
    type: Type.Enum(["simulator", "profile"]),
    profile: Type.Optional(Type.String()),
    available: Type.Optional(
      Type.Boolean({ description: "False when the seed file no longer gives the profile to the project." }),
    ),
    transports: Type.Optional(
      Type.Record(Type.String(), TransportKind, { description: "`default` and each step kind with its own." }),
    ),
  },
  { additionalProperties: false },
);
