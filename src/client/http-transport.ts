import { signRequest } from "../domain/signing/sdk-hmac-sha256.js";
import { CceUpgradeConnectionError, errorFromAnswer } from "./client-errors.js";
import type { HttpMethod } from "./operations.js";

/** An IAM token, sent as `X-Auth-Token`. */
export interface TokenCredential {
  readonly token: string;
  readonly ak?: never;
  readonly sk?: never;
  readonly securityToken?: never;
}

/** An access key pair; every request is signed with SDK-HMAC-SHA256. `securityToken` goes with STS keys. */
export interface AccessKeyCredential {
  readonly ak: string;
  readonly sk: string;
  readonly securityToken?: string;
  readonly token?: never;
}

export type Credential = TokenCredential | AccessKeyCredential;

export interface TransportSettings {
  /** `http(s)://host:port`, optionally with a path prefix; a trailing `/` is dropped as the SDKs do. */
  readonly endpoint: string;
  readonly projectId: string;
  readonly credential: Credential;
}

/** Sends one API request, authenticated, and returns the parsed JSON answer (undefined for an empty one). */
export class HttpTransport {
  readonly #base: string;
  readonly #projectId: string;
  readonly #credential: Credential;

  constructor(settings: TransportSettings) {
    this.#base = endpointBase(settings.endpoint);
    this.#projectId = settings.projectId;
    this.#credential = settings.credential;
  }

  /** `pathAndQuery` is already encoded, exactly as it goes on the wire (and into the signature). */
  async send(method: HttpMethod, pathAndQuery: string, body?: unknown): Promise<unknown> {
    const url = new URL(`${this.#base}${pathAndQuery}`);
    const text = body === undefined ? "" : JSON.stringify(body);
    const init = { method, headers: this.#headers(method, url, text), ...(text !== "" && { body: text }) };
    const { response, answer } = await exchange(url, init);
    if (!response.ok) throw errorFromAnswer(response.status, response.headers.get("x-request-id") ?? undefined, answer);
    return parseAnswer(method, url, response.status, answer);
  }

  #headers(method: HttpMethod, url: URL, body: string): Record<string, string> {
    // Like the Node SDK: JSON content type and the project on every request, bodyless ones included.
    const headers = { "content-type": "application/json", "x-project-id": this.#projectId };
    const credential = this.#credential;
    if (credential.token !== undefined) return { ...headers, "x-auth-token": credential.token };
    const withToken = {
      ...headers,
      ...(credential.securityToken !== undefined && { "x-security-token": credential.securityToken }),
    };
    // Signed as the Node SDK signs: host too, which fetch sends from the URL.
    const authorization = signRequest({
      method,
      url: `${url.pathname}${url.search}`,
      headers: { ...withToken, host: url.host },
      body,
      ak: credential.ak,
      sk: credential.sk,
      date: new Date(),
    });
    return { ...withToken, ...authorization };
  }
}

function endpointBase(endpoint: string): string {
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw new TypeError(`endpoint: ${JSON.stringify(endpoint)} is not an http(s) URL`);
  }
  return endpoint.replace(/\/+$/, "");
}

async function exchange(url: URL, init: RequestInit): Promise<{ response: Response; answer: string }> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    // A network failure is a TypeError "fetch failed" with the system error as its cause; anything else is ours.
    const unanswered = error instanceof TypeError && error.message === "fetch failed";
    throw unanswered ? new CceUpgradeConnectionError(url.origin, error) : error;
  }
  try {
    return { response, answer: await response.text() };
  } catch (error) {
    // The connection broke off in the middle of the answer.
    throw new CceUpgradeConnectionError(url.origin, error);
  }
}

function parseAnswer(method: HttpMethod, url: URL, status: number, answer: string): unknown {
  if (answer === "") return undefined;
  try {
    return JSON.parse(answer);
  } catch (error) {
    throw new Error(`${method} ${url.pathname} answered ${status} with a body that is not JSON`, { cause: error });
  }
}
