import type { Kysely, Selectable } from "kysely";
import type { ClusterFaultsTable, Database } from "./schema.js";

export type FaultRow = Selectable<ClusterFaultsTable>;

/** How long a stall lasts when its fault names no `stallSeconds`. */
export const DEFAULT_STALL_SECONDS = 3600;

/** The longest stall a tenant may ask for through the fault API unless the operator says otherwise. */
export const DEFAULT_FAULT_MAX_STALL_SECONDS = 600;

/** A fault as users write it, in the seed file and the admin API. */
export interface FaultSpec {
  readonly step: string;
  readonly target?: string | undefined;
  readonly times: number;
  readonly error: string;
  readonly message?: string | undefined;
  readonly mode?: "fail" | "stall" | undefined;
  readonly stallSeconds?: number | undefined;
  readonly retryable?: boolean | undefined;
}

/** How long a rule stalls, as stored. */
export function stallMsOf(fault: Pick<FaultSpec, "stallSeconds">): number {
  return Math.round((fault.stallSeconds ?? DEFAULT_STALL_SECONDS) * 1000);
}

/** Stores a fault rule; an existing ID is left alone, so re-applying a seed does not re-arm spent faults. */
export async function insertFault(
  db: Kysely<Database>,
  id: string,
  clusterId: string,
  fault: FaultSpec,
  nowMicros: number,
): Promise<FaultRow> {
  const row: FaultRow = {
    id,
    cluster_id: clusterId,
    step: fault.step,
    target: fault.target ?? null,
    mode: fault.mode ?? "fail",
    remaining: fault.times,
    error_code: fault.error,
    message: fault.message ?? `injected fault: ${fault.error}`,
    retryable: fault.retryable ? 1 : 0,
    stall_ms: stallMsOf(fault),
    created_at: nowMicros,
  };
  await db
    .insertInto("cluster_faults")
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .execute();
  return row;
}

/** The fault rules of a cluster, oldest first, spent ones included. */
export function listFaults(db: Kysely<Database>, clusterId: string): Promise<FaultRow[]> {
  return db
    .selectFrom("cluster_faults")
    .selectAll()
    .where("cluster_id", "=", clusterId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}

/** Removes a fault rule (a stalled step then goes on); false when there was none. */
export async function deleteFault(db: Kysely<Database>, clusterId: string, faultId: string): Promise<boolean> {
  const result = await db
    .deleteFrom("cluster_faults")
    .where("cluster_id", "=", clusterId)
    .where("id", "=", faultId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
