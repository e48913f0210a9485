/**
 * The catalogue of errors the API answers with: a stable internal name, the HTTP status and the CCE or API-gateway
 * code clients see. Tests assert codes, never message text.
 */
export const ERROR_CATALOGUE = {
  invalidRequest: { status: 400, code: "CCE.01400001", message: "Invalid request.", gateway: false },
  contentTypeNotSupported: {
    status: 400,
    code: "CCE.01400006",
    message: "Content type not supported.",
    gateway: false,
  },
  containerCidrConflict: {
    status: 400,
    code: "CCE.01400005",
    message: "Container network CIDR blocks conflict.",
    gateway: false,
  },
  tooManyNodes: { status: 400, code: "CCE.01400014", message: "Excessive nodes in the cluster.", gateway: false },
  versionNotSupported: { status: 400, code: "CCE.01400015", message: "Version not supported.", gateway: false },
  precheckNotFresh: {
    status: 400,
    code: "CCE.01400075",
    message: "The pre-upgrade check result has expired; run it again.",
    gateway: false,
  },
  clusterStateForbids: {
    status: 403,
    code: "CCE.01403003",
    message: "The cluster is in a state that does not allow the operation.",
    gateway: false,
  },
  resourceNotFound: { status: 404, code: "CCE.01404001", message: "Resource not found.", gateway: false },
  resourceExists: { status: 409, code: "CCE.01409001", message: "The resource already exists.", gateway: false },
  outOfDateVersion: {
    status: 409,
    code: "CCE.01409002",
    message: "Resource updated with out-of-date version.",
    gateway: false,
  },
  clusterUpgrading: {
    status: 409,
    code: "CCE.01409004",
    message: "The cluster has an upgrade task in progress.",
    gateway: false,
  },
  clusterLocked: { status: 429, code: "CCE.01429002", message: "Resource locked by other requests.", gateway: false },
  internal: { status: 500, code: "CCE.01500001", message: "Internal error.", gateway: false },
  apiNotFound: {
    status: 404,
    code: "APIGW.0101",
    message: "The API does not exist or has not been published in the environment.",
    gateway: true,
  },
  requestTooLarge: { status: 413, code: "APIGW.0201", message: "Request entity too large.", gateway: true },
  authenticationFailed: {
    status: 401,
    code: "APIGW.0301",
    message: "Incorrect IAM authentication information",
    gateway: true,
  },
  notAuthorized: {
    status: 403,
    code: "APIGW.0302",
    message: "The IAM user is not authorized to access the API.",
    gateway: true,
  },
  throttled: { status: 429, code: "APIGW.0308", message: "The throttling threshold has been reached.", gateway: true },
} as const satisfies Record<string, ErrorEntry>;

export interface ErrorEntry {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** API-gateway errors also carry `request_id` in the body, as APIGW does. */
  readonly gateway: boolean;
}

export type ErrorName = keyof typeof ERROR_CATALOGUE;

/** An error meant for the client: rendered by the one error handler with its catalogue entry. */
export class ApiError extends Error {
  readonly entry: ErrorEntry;
  /** Sent as `Retry-After` when set: how long until a refused client may try again. */
  readonly retryAfterSeconds: number | undefined;
  constructor(name: ErrorName, detail?: string, options: { retryAfterSeconds?: number } = {}) {
    const entry = ERROR_CATALOGUE[name];
    super(composeMessage(entry, detail));
    this.entry = entry;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

function composeMessage(entry: ErrorEntry, detail: string | undefined): string {
  if (detail === undefined) return entry.message;
  // APIGW's authentication messages read "Incorrect IAM authentication information: <what failed>".
  return entry.code === "APIGW.0301" ? `${entry.message}: ${detail}` : detail;
}

/** The body every error is answered with: both key forms CCE clients read, plus `request_id` for gateway errors. */
export function errorBody(entry: ErrorEntry, message: string, requestId: string): Record<string, string> {
  const body: Record<string, string> = {
    errorCode: entry.code,
    errorMessage: message,
    error_code: entry.code,
    error_msg: message,
  };
  if (entry.gateway) body.request_id = requestId;
  return body;
}
