/** The parts of a `clusterUpgradeAction` the rules look at, as the API validated them. */
export interface UpgradeAction {
  readonly targetVersion: string;
  readonly strategy: {
    readonly type: string;
    readonly inPlaceRollingUpdate?: { readonly userDefinedStep?: number; readonly scope?: "Cluster" | "NodePool" };
  };
  readonly addons?: readonly {
    readonly addonTemplateName: string;
    readonly operation: string;
    readonly version: string;
    readonly values?: object;
  }[];
  readonly nodeOrder?: Readonly<Record<string, readonly NodePriority[]>>;
  readonly nodePoolOrder?: Readonly<Record<string, number>>;
  readonly isOnlyUpgrade?: boolean;
  readonly agencyName?: string;
}

export interface NodePriority {
  readonly nodeSelector: { readonly key: string; readonly value?: readonly string[]; readonly operator: string };
  readonly priority: number;
}

/** The action as it is stored and executed: defaults filled in, lenient spellings made canonical. */
export interface NormalizedUpgradeAction extends UpgradeAction {
  readonly strategy: {
    readonly type: "inPlaceRollingUpdate";
    readonly inPlaceRollingUpdate: { readonly userDefinedStep: number; readonly scope: "Cluster" | "NodePool" };
  };
}

export const DEFAULT_BATCH_CAP = 20;

/** What the cluster has that a request may name. */
export interface ClusterInventory {
  readonly addonNames: readonly string[];
  readonly nodePoolIds: readonly string[];
}

/** A request field that names something the cluster does not have. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** Checks that add-ons and node pools named by the request exist on the cluster. */
export function findInventoryProblem(action: UpgradeAction, cluster: ClusterInventory): FieldProblem | undefined {
  const base = "spec.clusterUpgradeAction";
  for (const [index, addon] of (action.addons ?? []).entries()) {
    if (!cluster.addonNames.includes(addon.addonTemplateName)) {
      return {
        field: `${base}.addons[${index}].addonTemplateName`,
        message: `add-on ${JSON.stringify(addon.addonTemplateName)} is not installed on the cluster`,
      };
    }
  }
  for (const key of ["nodePoolOrder", "nodeOrder"] as const) {
    const unknown = Object.keys(action[key] ?? {}).find((poolId) => !cluster.nodePoolIds.includes(poolId));
    if (unknown !== undefined) {
      return { field: `${base}.${key}`, message: `node pool ${JSON.stringify(unknown)} does not exist in the cluster` };
    }
  }
  return undefined;
}

/** Fills defaults (batch cap 20, scope `Cluster`) and maps the lenient spellings (`=` → `in`, `batch` → `patch`). */
export function normalizeUpgradeAction(action: UpgradeAction, resolvedTarget: string): NormalizedUpgradeAction {
  const rolling = action.strategy.inPlaceRollingUpdate;
  return {
    ...action,
    targetVersion: resolvedTarget,
    strategy: {
      type: "inPlaceRollingUpdate",
      inPlaceRollingUpdate: {
        userDefinedStep: rolling?.userDefinedStep || DEFAULT_BATCH_CAP,
        scope: rolling?.scope ?? "Cluster",
      },
    },
    ...(action.addons && { addons: action.addons.map((a) => ({ ...a, operation: "patch" })) }),
    ...(action.nodeOrder && {
      nodeOrder: Object.fromEntries(
        Object.entries(action.nodeOrder).map(([pool, priorities]) => [
          pool,
          priorities.map((p) => ({
            ...p,
            nodeSelector: {
              ...p.nodeSelector,
              operator: p.nodeSelector.operator === "=" ? "in" : p.nodeSelector.operator,
            },
          })),
        ]),
      ),
    }),
  };
}
