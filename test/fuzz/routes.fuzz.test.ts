import { createHash } from "node:crypto";
import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testApi } from "../support/api.js";
import { CLUSTER, OTHER_TOKEN, PROJECT, TOKEN, upgradeBody } from "../support/fixtures.js";
import { signedInject } from "../support/signed.js";

const RUNS = 10_000;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"] as const;
type Method = (typeof METHODS)[number];

/** A request the fuzzer sends: anything a client could put on the wire. */
interface FuzzRequest {
  readonly method: Method;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly auth: "none" | "token" | "other-token" | "bad-token" | "signature" | "bad-signature";
  readonly body: string | Buffer | undefined;
}

const pathParam = fc.oneof(
  fc.constantFrom(PROJECT, CLUSTER, "DefaultPool", "00000000-0000-4000-8000-000000000000"),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: "binary", maxLength: 20 }).map(encodeURIComponent),
  fc.constantFrom("%zz", "%", "..", "%2F", "a%00b", "x".repeat(3000)),
);

/** A value that is sometimes what CCE takes and sometimes anything. */
const maybe = <T>(...valid: T[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...valid) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.anything() },
  );

/** CreateCluster bodies near the valid ones: each field valid, or not. */
const clusterBody = fc
  .record({
    name: fc.oneof(
      fc.nat(99).map((n) => `fuzz-${n}`),
      maybe("prod-a", "abc", "Upper"),
    ),
    flavor: maybe("cce.s1.small", "cce.t2.small"),
    version: maybe("v1.28", "v1.29.15-r50", "v1.99"),
    cidr: maybe("172.16.0.0/16", "10.247.0.0/16", "10.0.0.1/8"),
    service: maybe("10.247.0.0/16", "172.16.0.0/12"),
    mode: maybe("overlay_l2", "eni", "vpc-router"),
    category: maybe("CCE", "Turbo"),
  })
  .map(({ name, flavor, version, cidr, service, mode, category }) =>
    JSON.stringify({
      kind: "Cluster",
      apiVersion: "v3",
      metadata: { name },
      spec: {
        flavor,
        version,
        category,
        hostNetwork: { vpc: "vpc-1", subnet: "subnet-1" },
        containerNetwork: { mode, cidr },
        kubernetesSvcIpRange: service,
      },
    }),
  );

/** CreateNodePool and UpdateNodePool bodies near the valid ones. */
const nodePoolBody = fc
  .record({
    name: fc.oneof(
      fc.nat(99).map((n) => `pool-${n}`),
      maybe("b", "DefaultPool"),
    ),
    count: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: -1, max: 8 }) },
      fc.integer({ min: 40, max: 60 }),
      fc.anything(),
    ),
    login: maybe({ sshKey: "k" }, { userPassword: { password: "Secret-123" } }, {}),
    size: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 30, max: 1100 }) }, fc.anything()),
  })
  .map(({ name, count, login, size }) =>
    JSON.stringify({
      kind: "NodePool",
      apiVersion: "v3",
      metadata: { name },
      spec: {
        initialNodeCount: count,
        nodeTemplate: {
          flavor: "c7.large.2",
          az: "random",
          login,
          rootVolume: { size, volumetype: "SAS" },
          dataVolumes: [{ size: 100, volumetype: "SAS" }],
        },
      },
    }),
  );

const body = fc.oneof(
  fc.constant(undefined),
  clusterBody,
  nodePoolBody,
  fc.constant(JSON.stringify(upgradeBody("v1.29"))),
  fc.json({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? "null"),
  fc.record({ metadata: fc.anything(), spec: fc.anything() }).map((value) => JSON.stringify(value)),
  // Driver bodies: a tenant's own hook (always refused), a profile choice, the simulator.
  fc.constantFrom(
    JSON.stringify({ type: "hook", default: { type: "exec", command: ["/bin/sh", "-c", "id"] } }),
    JSON.stringify({ type: "profile", profile: "kubeadm" }),
    JSON.stringify({ type: "simulator" }),
  ),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
  fc.integer({ min: 60_000, max: 200_000 }).map((size) => JSON.stringify({ spec: "x".repeat(size) })),
  fc
    .uint8Array({ maxLength: 64 })
    .map((bytes) => Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from('"}')])),
  fc.string({ unit: "binary", maxLength: 200 }),
);

describe("every route under random input", () => {
  let api: Awaited<ReturnType<typeof testApi>>;
  let templates: string[];
  let tables: string[];
  beforeAll(async () => {
    api = await testApi();
    const doc = (await api.app.inject({ url: "/openapi.json" })).json() as { paths: Record<string, unknown> };
    templates = Object.keys(doc.paths);
    tables = (await api.store.db.introspection.getTables())
      .map((table) => table.name)
      .filter((name) => name !== "auth_failures");
  });
  afterAll(async () => api.close());

  it("fingerprints the content of every table but auth_failures: an edit that keeps counts and times shows", async () => {
    const all = await sql<{ name: string }>`select name from sqlite_master where type = 'table'
      and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(api.store.db);
    expect([...tables, "auth_failures"].sort()).toEqual(all.rows.map((row) => row.name).sort());
    const before = await fingerprint();
    for (const [table, column, value] of [
      ["clusters", "phase", "Upgrading"],
      ["nodes", "version", "v1.99.0"],
      ["api_tokens", "expires_at", 1],
    ] as const) {
      const [row] = (
        await sql<Record<string, unknown>>`select * from ${sql.table(table)} limit 1`.execute(api.store.db)
      ).rows;
      expect(row, `${table} has a seeded row`).toBeDefined();
      const where = Object.entries(row as Record<string, unknown>)[0] as [string, unknown];
      const update = (to: unknown) =>
        sql`update ${sql.table(table)} set ${sql.ref(column)} = ${to} where ${sql.ref(where[0])} = ${where[1]}`.execute(
          api.store.db,
        );
      await update(value);
      expect(await fingerprint(), `${table}.${column} edited`).not.toBe(before);
      await update((row as Record<string, unknown>)[column]);
      expect(await fingerprint(), `${table}.${column} restored`).toBe(before);
    }
  });

  /**
   * A digest of every row of every table the migrations made, so a refused request that changes any byte anywhere
   * shows. Left out: `auth_failures`, where a refused request's failed authentication is recorded on purpose.
   */
  async function fingerprint(): Promise<string> {
    const digest = createHash("sha256");
    for (const table of tables) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(api.store.db);
      const lines = rows.rows.map((row) =>
        JSON.stringify(row, (_, value) => (typeof value === "bigint" ? `${value}` : value)),
      );
      digest.update(`${table}\n${lines.sort().join("\n")}\n`);
    }
    return digest.digest("hex");
  }

  async function send(request: FuzzRequest) {
    const headers: Record<string, string> = {};
    if (request.contentType !== undefined) headers["content-type"] = request.contentType;
    if (request.auth === "token") headers["x-auth-token"] = TOKEN;
    if (request.auth === "other-token") headers["x-auth-token"] = OTHER_TOKEN;
    if (request.auth === "bad-token") headers["x-auth-token"] = "not-a-token";
    if (request.auth === "bad-signature")
      headers.authorization = "SDK-HMAC-SHA256 Access=TESTAK1234567890, SignedHeaders=host, Signature=00";
    if (request.auth === "signature" && request.method !== "OPTIONS") {
      return signedInject(api.app, {
        method: request.method === "HEAD" ? "GET" : request.method,
        url: request.url,
        body: request.body ?? "",
        date: new Date(api.clock.nowMicros() / 1000),
        headers,
      });
    }
    return api.app.inject({
      method: request.method,
      url: request.url,
      headers,
      ...(request.body !== undefined && { payload: request.body }),
    });
  }

  it(`answers ${RUNS} random requests without a 5xx, in the CCE/APIGW error form, changing nothing when it refuses`, async () => {
    let sent = 0;
    const statuses: Record<string, number> = {};
    let before = await fingerprint();
    const request = fc.record<FuzzRequest>({
      method: fc.constantFrom(...METHODS),
      url: fc
        .oneof(
          {
            weight: 4,
            arbitrary: fc
              .tuple(fc.constantFrom(...templates), fc.array(pathParam, { minLength: 4, maxLength: 4 }))
              .map(([template, params]) => fillTemplate(template, params)),
          },
          { weight: 1, arbitrary: fc.webPath() },
        )
        .chain((path) =>
          fc
            .option(fc.webQueryParameters(), { nil: undefined })
            .map((query) => (query ? `${path}?${query}` : path) || "/"),
        ),
      contentType: fc.constantFrom(
        undefined,
        "application/json",
        "application/json;charset=utf-8",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "garbage",
      ),
      auth: fc.constantFrom(
        "none",
        "token",
        "token",
        "other-token",
        "bad-token",
        "signature",
        "signature",
        "bad-signature",
      ),
      body,
    });

    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const response = await send(input);
        sent += 1;
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        const context = `${input.method} ${input.url.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, context).toBeLessThan(500);
        expect(response.headers["x-request-id"], context).toMatch(/^[0-9a-f]{32}$/);
        if (response.statusCode >= 400) {
          if (input.method !== "HEAD") {
            const error = response.json() as Record<string, string>;
            expect(error.errorCode, context).toMatch(/^(CCE|APIGW)\.\d+$/);
            expect(error.error_code, context).toBe(error.errorCode);
            expect(error.error_msg, context).toBe(error.errorMessage);
          }
          expect(await fingerprint(), context).toBe(before);
        } else before = await fingerprint();
      }),
      { numRuns: RUNS },
    );
    console.info(`fuzz: ${sent} requests, statuses ${JSON.stringify(statuses)}`);
    expect(sent).toBe(RUNS);
  }, 300_000);

  it("answers near-valid lifecycle requests without a 5xx, and creates what the valid ones ask for", async () => {
    const clusters = `/api/v3/projects/${PROJECT}/clusters`;
    const target = fc.oneof(
      fc.record({ method: fc.constant("POST" as const), url: fc.constant(clusters), body: clusterBody }),
      fc.record({
        method: fc.constant("POST" as const),
        url: fc.constant(`${clusters}/${CLUSTER}/nodepools`),
        body: nodePoolBody,
      }),
      fc.record({
        method: fc.constant("PUT" as const),
        url: fc.constant(`${clusters}/${CLUSTER}/nodepools/pool-b`),
        body: nodePoolBody,
      }),
      fc.record({
        method: fc.constant("PUT" as const),
        url: fc.constant(`${clusters}/${CLUSTER}`),
        body: fc
          .record({
            alias: maybe("new-alias", ""),
            description: maybe("words"),
            customSan: maybe(["a.example.com"], [1]),
          })
          .map(({ alias, description, customSan }) =>
            JSON.stringify({ metadata: { alias }, spec: { description, customSan } }),
          ),
      }),
    );
    const statuses: Record<string, number> = {};
    let before = await fingerprint();
    await fc.assert(
      fc.asyncProperty(target, async ({ method, url, body: payload }) => {
        const response = await send({ method, url, contentType: "application/json", auth: "token", body: payload });
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        const context = `${method} ${url} ${payload.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, context).toBeLessThan(500);
        if (response.statusCode >= 400) {
          expect((response.json() as Record<string, string>).errorCode, context).toMatch(/^CCE\.\d+$/);
          expect(await fingerprint(), context).toBe(before);
        } else before = await fingerprint();
      }),
      { numRuns: RUNS / 5, endOnFailure: true },
    );
    console.info(`lifecycle fuzz: statuses ${JSON.stringify(statuses)}`);
    expect(statuses[201], "some near-valid bodies were valid").toBeGreaterThan(0);
  }, 300_000);
});

/** Puts fuzzed values into a route template's `{param}` slots. */
function fillTemplate(template: string, params: string[]): string {
  let index = 0;
  return template.replace(/\{[^}]+\}/g, () => params[index++ % params.length] ?? "x");
}
