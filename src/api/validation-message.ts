/** One schema-validation failure as Fastify's validator reports it. */
export interface ValidationIssue {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

/**
 * A message naming the field that failed, e.g. `spec.clusterUpgradeAction.targetVersion is required` or
 * `spec.clusterUpgradeAction.strategy.type must be one of: inPlaceRollingUpdate`.
 */
export function describeValidationError(context: string | undefined, issues: readonly ValidationIssue[]): string {
  const issue = issues[0];
  if (!issue) return "invalid request";
  const where = fieldPath(context, issue.instancePath);
  const { params } = issue;
  switch (issue.keyword) {
    case "required":
      return `${joinPath(where, String(params.missingProperty))} is required`;
    case "enum":
      return `${where} must be one of: ${(params.allowedValues as unknown[]).join(", ")}`;
    case "const":
      return `${where} must be ${JSON.stringify(params.allowedValue)}`;
    case "additionalProperties":
      return `${joinPath(where, String(params.additionalProperty))} is not a known key`;
    default:
      return `${where} ${issue.message ?? "is invalid"}`;
  }
}

function fieldPath(context: string | undefined, instancePath: string): string {
  const segments = instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  const path = segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : joinPath(acc, s)), "");
  if (path) return path;
  return context === "body" || context === undefined ? "request body" : context;
}

function joinPath(base: string, key: string): string {
  return base && base !== "request body" ? `${base}.${key}` : key;
}
