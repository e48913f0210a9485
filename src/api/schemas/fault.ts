import { Type } from "typebox";
import { ClusterParams } from "./common.js";

export const FaultParams = Type.Object({ ...ClusterParams.properties, fault_id: Type.String({ maxLength: 128 }) });

/** A fault as the API shows it: the rule, and how many attempts it will still fail. */
export const Fault = Type.Object({
  id: Type.String(),
  step: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]),
  mode: Type.String(),
  remaining: Type.Integer({ description: "Attempts that will still fail; 0 once spent." }),
  error: Type.String(),
  message: Type.String(),
  retryable: Type.Boolean(),
  stallSeconds: Type.Number(),
});

export const FaultList = Type.Object({ items: Type.Array(Fault) });
