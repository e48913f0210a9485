import { existsSync, readFileSync } from "node:fs";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testApi } from "../support/api.js";
import { CLUSTER, PROJECT, TOKEN } from "../support/fixtures.js";

const CLUSTERS = `/api/v3/projects/${PROJECT}/clusters`;
const UPGRADE = `${CLUSTERS}/${CLUSTER}/operation/upgrade`;
const AUTH = { "x-auth-token": TOKEN };
const JSON_BODY = { ...AUTH, "content-type": "application/json" };
const CONSOLE_INDEX = new URL("../../dist/console/index.html", import.meta.url);

/** An asset named by the built console's index.html, when the console is built (`npm test` builds it first). */
function consoleAsset(): string | undefined {
  if (!existsSync(CONSOLE_INDEX)) return undefined;
  return readFileSync(CONSOLE_INDEX, "utf8").match(/src="(\/console\/assets\/[^"]+\.js)"/)?.[1];
}

interface Sample {
  readonly kind: string;
  readonly request: InjectOptions;
  readonly status: number;
}

/** Answers that load nothing: JSON, text and errors. */
const API_SAMPLES: Sample[] = [
  { kind: "CCE JSON answer", request: { url: CLUSTERS, headers: AUTH }, status: 200 },
  { kind: "404 APIGW.0101", request: { url: "/no/such/route" }, status: 404 },
  { kind: "401 without a credential", request: { url: CLUSTERS }, status: 401 },
  {
    kind: "413 body over the limit",
    request: { method: "POST", url: UPGRADE, headers: JSON_BODY, payload: `{"x":"${"a".repeat(70_000)}"}` },
    status: 413,
  },
  {
    kind: "400 malformed JSON",
    request: { method: "POST", url: UPGRADE, headers: JSON_BODY, payload: "{" },
    status: 400,
  },
  // Refused before routing (Fastify's frameworkErrors): the path is echoed in the JSON answer.
  { kind: "400 malformed URL", request: { url: `/api/v3/projects/%zz<script>/clusters` }, status: 400 },
  {
    kind: "401 from IAM",
    request: {
      method: "POST",
      url: "/v3/auth/tokens",
      headers: { "content-type": "application/json" },
      payload: {
        auth: {
          identity: { methods: ["password"], password: { user: { name: "nobody", password: "wrong-password" } } },
          scope: { project: { name: "nothing" } },
        },
      },
    },
    status: 401,
  },
  { kind: "/healthz", request: { url: "/healthz" }, status: 200 },
  { kind: "HEAD /healthz", request: { method: "HEAD", url: "/healthz" }, status: 200 },
  { kind: "/metrics", request: { url: "/metrics" }, status: 200 },
  { kind: "/openapi.json", request: { url: "/openapi.json" }, status: 200 },
];

/** Swagger UI's page and what it loads. */
const DOCS_SAMPLES: Sample[] = [
  { kind: "/docs", request: { url: "/docs" }, status: 200 },
  { kind: "/docs/", request: { url: "/docs/" }, status: 200 },
  { kind: "Swagger UI script", request: { url: "/docs/static/swagger-ui-bundle.js" }, status: 200 },
  { kind: "Swagger UI initializer", request: { url: "/docs/static/swagger-initializer.js" }, status: 200 },
  { kind: "Swagger UI's document", request: { url: "/docs/json" }, status: 200 },
];

const asset = consoleAsset();
/** The console's page and its assets (503 with how to build it when it is not built). */
const CONSOLE_SAMPLES: Sample[] = [
  { kind: "/console", request: { url: "/console" }, status: asset ? 302 : 503 },
  { kind: "/console/", request: { url: "/console/" }, status: asset ? 200 : 503 },
  ...(asset ? [{ kind: "console script", request: { url: asset }, status: 200 }] : []),
];

type Policy = Record<string, string[]>;

function policyOf(response: LightMyRequestResponse): Policy {
  const header = response.headers["content-security-policy"];
  expect(typeof header, "exactly one Content-Security-Policy header").toBe("string");
  const directives = String(header)
    .split(";")
    .map((directive) => directive.trim().split(/\s+/))
    .filter(([name]) => name);
  return Object.fromEntries(directives.map(([name, ...sources]) => [name as string, sources]));
}

const LOOSE_SOURCES = ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:", "blob:"];

/** What every response carries, whatever it is. */
function expectHardened(response: LightMyRequestResponse): Policy {
  const policy = policyOf(response);
  expect(policy["default-src"]).toEqual(["'none'"]);
  expect(policy["frame-ancestors"]).toEqual(["'none'"]);
  expect(policy["base-uri"]).toEqual(["'none'"]);
  expect(policy["object-src"] ?? policy["default-src"]).toEqual(["'none'"]);
  for (const [directive, sources] of Object.entries(policy)) {
    expect(
      sources.filter((source) => LOOSE_SOURCES.includes(source)),
      directive,
    ).toEqual([]);
    if (directive !== "img-src") expect(sources, directive).not.toContain("data:");
  }
  expect(response.headers["x-content-type-options"]).toBe("nosniff");
  expect(response.headers["referrer-policy"]).toBe("no-referrer");
  expect(response.headers["x-frame-options"]).toBe("DENY");
  expect(response.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
  return policy;
}

describe("browser security headers", () => {
  let api: Awaited<ReturnType<typeof testApi>>;
  beforeAll(async () => {
    api = await testApi("sqlite", { metricsRegistry: new Registry() });
  });
  afterAll(async () => api.close());

  async function answer(sample: Sample): Promise<LightMyRequestResponse> {
    const response = await api.app.inject(sample.request);
    expect(response.statusCode).toBe(sample.status);
    return response;
  }

  it.each(API_SAMPLES)("$kind: a policy that loads nothing, nosniff, no referrer", async (sample) => {
    const policy = expectHardened(await answer(sample));
    expect(policy).toEqual({
      "default-src": ["'none'"],
      "base-uri": ["'none'"],
      "form-action": ["'none'"],
      "frame-ancestors": ["'none'"],
    });
  });

  it.each(DOCS_SAMPLES)("$kind: Swagger UI's own scripts and styles only", async (sample) => {
    const policy = expectHardened(await answer(sample));
    expect(policy["script-src"]).toEqual(["'self'"]);
    // Swagger UI's logo carries one inline <style>, allowed by its hash alone.
    expect(policy["style-src"]).toEqual(["'self'", expect.stringMatching(/^'sha256-[A-Za-z0-9+/]{43}='$/)]);
    expect(policy["connect-src"]).toEqual(["'self'"]);
  });

  it.each(CONSOLE_SAMPLES)("$kind: the console's own scripts and styles, Trusted Types", async (sample) => {
    const policy = expectHardened(await answer(sample));
    expect(policy["script-src"]).toEqual(["'self'"]);
    expect(policy["style-src"]).toEqual(["'self'"]);
    expect(policy["connect-src"]).toEqual(["'self'"]);
    expect(policy["require-trusted-types-for"]).toEqual(["'script'"]);
  });

  it("adds headers without changing a CCE answer's status, type or body", async () => {
    const response = await answer({ kind: "", request: { url: `${CLUSTERS}/${CLUSTER}`, headers: AUTH }, status: 200 });
    expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(response.json()).toMatchObject({ kind: "Cluster", metadata: { uid: CLUSTER } });
  });
});
