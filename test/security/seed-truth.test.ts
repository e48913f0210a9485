import SqliteDatabase from "better-sqlite3";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildServer } from "../../src/api/server.js";
import { UTC } from "../../src/domain/go-time.js";
import { applySeed, parseSeed, type SeedFile, SeedFileError } from "../../src/store/seed-file.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import {
  AK,
  CLUSTER,
  ManualClock,
  OTHER_AK,
  OTHER_CLUSTER,
  OTHER_PROJECT,
  OTHER_SK,
  OTHER_TOKEN,
  PROJECT,
  SK,
  TOKEN,
  testSeed,
} from "../support/fixtures.js";
import { signedInject } from "../support/signed.js";
import { expectCceError } from "../support/wire.js";

type TestStore = Awaited<ReturnType<typeof freshStore>>;
type ProjectSeed = SeedFile["projects"][number];

const CLUSTER_PATH = `/api/v3/projects/${PROJECT}/clusters/${CLUSTER}`;
const OTHER_CLUSTER_PATH = `/api/v3/projects/${OTHER_PROJECT}/clusters/${OTHER_CLUSTER}`;

function project(seed: SeedFile, index: number): ProjectSeed {
  const found = seed.projects[index];
  if (!found) throw new Error(`the seed has no project ${index}`);
  return found;
}

/** The test seed with `edit` applied to a copy. */
function edited(edit: (seed: SeedFile) => void): SeedFile {
  const seed = testSeed();
  edit(seed);
  return seed;
}

describe("duplicate ids in one seed file", () => {
  const cases: [string, (seed: SeedFile) => void, string, string][] = [
    [
      "a project id",
      (seed) => {
        project(seed, 1).id = PROJECT;
      },
      "/projects/0/id",
      "/projects/1/id",
    ],
    [
      "a cluster id in two projects",
      (seed) => {
        const other = project(seed, 1).clusters?.[0];
        if (other) other.id = CLUSTER;
      },
      "/projects/0/clusters/0/id",
      "/projects/1/clusters/0/id",
    ],
    [
      "a cluster id twice in one project",
      (seed) => {
        const legacy = project(seed, 0).clusters?.[1];
        if (legacy) legacy.id = CLUSTER;
      },
      "/projects/0/clusters/0/id",
      "/projects/0/clusters/1/id",
    ],
    [
      "a cluster name twice in one project",
      (seed) => {
        const legacy = project(seed, 0).clusters?.[1];
        if (legacy) legacy.name = "prod-a";
      },
      "/projects/0/clusters/0/name",
      "/projects/0/clusters/1/name",
    ],
    [
      "a pool id twice in one cluster",
      (seed) => {
        const pool = project(seed, 0).clusters?.[0]?.nodePools?.[1];
        if (pool) pool.id = "DefaultPool";
      },
      "/projects/0/clusters/0/nodePools/0/id",
      "/projects/0/clusters/0/nodePools/1/id",
    ],
    [
      "a pool name twice in one cluster (its nodes would share names)",
      (seed) => {
        const pool = project(seed, 0).clusters?.[0]?.nodePools?.[1];
        if (pool) pool.name = "defaultpool";
      },
      "/projects/0/clusters/0/nodePools/0/name",
      "/projects/0/clusters/0/nodePools/1/name",
    ],
    [
      "an access key in two projects",
      (seed) => {
        project(seed, 1).accessKeys = [{ ak: AK, sk: "another-secret" }];
      },
      "/projects/0/accessKeys/0/ak",
      "/projects/1/accessKeys/0/ak",
    ],
    [
      "a token shared by two projects",
      (seed) => {
        project(seed, 1).tokens = ["unrelated-token-1", TOKEN];
      },
      "/projects/0/tokens/0",
      "/projects/1/tokens/1",
    ],
    [
      "a user name twice in one project",
      (seed) => {
        project(seed, 0).users = [
          { name: "alice", password: "one" },
          { name: "alice", password: "two" },
        ];
      },
      "/projects/0/users/0/name",
      "/projects/0/users/1/name",
    ],
  ];

  it.each(cases)("refuses %s, naming both places", (_, edit, first, second) => {
    const seed = edited(edit);
    expect(() => parseSeed(seed, "s.json")).toThrow(SeedFileError);
    const message = (() => {
      try {
        parseSeed(seed, "s.json");
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toMatch(/^s\.json: /);
    expect(message).toContain(first);
    expect(message).toContain(second);
    expect(message).not.toContain(TOKEN);
  });

  it("accepts what is normal: DefaultPool in every cluster, a user name in two projects", () => {
    const seed = edited((s) => {
      project(s, 1).users = [{ name: "alice", password: "another" }];
      const other = project(s, 1).clusters?.[0];
      if (other) other.nodePools = [{ id: "DefaultPool", name: "DefaultPool", nodeCount: 1 }];
    });
    expect(parseSeed(seed, "s.json").projects).toHaveLength(2);
  });
});

describe.each(DIALECTS)("the seed on %s is the truth for its projects", (dialect) => {
  let store: TestStore;
  let clock: ManualClock;
  let app: FastifyInstance | undefined;

  beforeEach(async () => {
    store = await freshStore(dialect);
    clock = new ManualClock();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await store.close();
  });

  /** What a restart does: apply the seed, then serve with fresh caches. */
  async function restartWith(seed: SeedFile): Promise<FastifyInstance> {
    await app?.close();
    await applySeed(store, seed, clock);
    app = await buildServer(
      { store, clock, zone: UTC, bodyLimitBytes: 64 * 1024, tokenTtlMs: 3_600_000 },
      { logger: false },
    );
    return app;
  }

  const withToken = (server: FastifyInstance, token: string, url = CLUSTER_PATH) =>
    server.inject({ url, headers: { "x-auth-token": token } });
  const signed = (server: FastifyInstance, ak: string, sk: string, url = CLUSTER_PATH) =>
    signedInject(server, { method: "GET", url, ak, sk, date: new Date(clock.nowMicros() / 1000) });
  const requestToken = (server: FastifyInstance, name: string, password: string, projectId = PROJECT) =>
    server.inject({
      method: "POST",
      url: "/v3/auth/tokens",
      payload: {
        auth: {
          identity: { methods: ["password"], password: { user: { name, password } } },
          scope: { project: { id: projectId } },
        },
      },
    });
  async function issuedToken(server: FastifyInstance, name: string, password: string, projectId = PROJECT) {
    const response = await requestToken(server, name, password, projectId);
    expect(response.statusCode).toBe(201);
    return response.headers["x-subject-token"] as string;
  }
  const storedHash = async (projectId: string, name: string) =>
    (
      await store.db
        .selectFrom("iam_users")
        .select("password_hash")
        .where("project_id", "=", projectId)
        .where("name", "=", name)
        .executeTakeFirst()
    )?.password_hash;

  describe("ids another project owns in the database", () => {
    it("refuses a cluster id of another project, so its pool does not move onto that cluster", async () => {
      await applySeed(store, testSeed(), clock);
      const intruder = edited((seed) => {
        const two = project(seed, 1);
        seed.projects = [
          {
            ...two,
            clusters: [
              {
                id: CLUSTER,
                name: "mine",
                version: "v1.28",
                nodePools: [{ id: "pool-x", name: "x", nodeCount: 1 }],
              },
            ],
          },
        ];
      });
      const applied = applySeed(store, intruder, clock);
      await expect(applied).rejects.toThrow(SeedFileError);
      await expect(applySeed(store, intruder, clock)).rejects.toThrow(
        new RegExp(`/projects/0/clusters/0/id.*${PROJECT}`),
      );
      const pools = await store.db.selectFrom("node_pools").select("id").where("cluster_id", "=", CLUSTER).execute();
      expect(pools.map((p) => p.id).sort()).toEqual(["DefaultPool", "pool-b"]);
    });

    it("refuses a cluster name that another cluster of the project has", async () => {
      await applySeed(store, testSeed(), clock);
      const renamed = edited((seed) => {
        seed.projects = [
          {
            ...project(seed, 0),
            clusters: [{ id: "44444444-5555-4666-8777-888888888888", name: "prod-a", version: "v1.28" }],
          },
        ];
      });
      await expect(applySeed(store, renamed, clock)).rejects.toThrow(SeedFileError);
      await expect(applySeed(store, renamed, clock)).rejects.toThrow(
        new RegExp(`/projects/0/clusters/0/name.*${CLUSTER}`),
      );
    });

    it("refuses an access key or a token of another project", async () => {
      await applySeed(store, testSeed(), clock);
      const keySeed = edited((seed) => {
        seed.projects = [{ ...project(seed, 1), accessKeys: [{ ak: AK, sk: "stolen" }] }];
      });
      await expect(applySeed(store, keySeed, clock)).rejects.toThrow(
        new RegExp(`/projects/0/accessKeys/0/ak.*${PROJECT}`),
      );
      const tokenSeed = edited((seed) => {
        seed.projects = [{ ...project(seed, 1), tokens: [TOKEN] }];
      });
      await expect(applySeed(store, tokenSeed, clock)).rejects.toThrow(new RegExp(`/projects/0/tokens/0.*${PROJECT}`));
      const server = await restartWith(testSeed());
      expect((await signed(server, AK, SK)).statusCode).toBe(200);
      expect((await withToken(server, TOKEN)).statusCode).toBe(200);
    });
  });

  describe("credentials follow the seed across a restart", () => {
    it("a token removed from the file stops working; the others keep working", async () => {
      const first = await restartWith(testSeed());
      expect((await withToken(first, TOKEN)).statusCode).toBe(200);
      const server = await restartWith(
        edited((seed) => {
          project(seed, 0).tokens = ["a-new-token-for-one"];
        }),
      );
      expectCceError(await withToken(server, TOKEN), 401, "APIGW.0301");
      expect((await withToken(server, "a-new-token-for-one")).statusCode).toBe(200);
      expect((await withToken(server, OTHER_TOKEN, OTHER_CLUSTER_PATH)).statusCode).toBe(200);
    });

    it("an access key removed from the file stops working, and a changed SK replaces the old one", async () => {
      const first = await restartWith(testSeed());
      expect((await signed(first, AK, SK)).statusCode).toBe(200);
      const server = await restartWith(
        edited((seed) => {
          project(seed, 0).accessKeys = [{ ak: AK, sk: "a-brand-new-secret-key" }];
        }),
      );
      expectCceError(await signed(server, AK, SK), 401, "APIGW.0301");
      expect((await signed(server, AK, "a-brand-new-secret-key")).statusCode).toBe(200);
      expectCceError(await signed(server, "STSAK0000000001", "sts-secret-key"), 401, "APIGW.0301");
    });

    it("a removed user can no longer sign in, and the tokens issued for the project stop working", async () => {
      const first = await restartWith(testSeed());
      const issued = await issuedToken(first, "alice", "alice-password");
      const server = await restartWith(
        edited((seed) => {
          project(seed, 0).users = [];
        }),
      );
      expectCceError(await requestToken(server, "alice", "alice-password"), 401, "APIGW.0301");
      expectCceError(await withToken(server, issued), 401, "APIGW.0301");
      expect((await withToken(server, TOKEN)).statusCode).toBe(200);
    });

    it("a changed password replaces the old one and ends the tokens issued for the project", async () => {
      const first = await restartWith(testSeed());
      const issued = await issuedToken(first, "alice", "alice-password");
      const server = await restartWith(
        edited((seed) => {
          project(seed, 0).users = [{ name: "alice", password: "a-new-password" }];
        }),
      );
      expectCceError(await requestToken(server, "alice", "alice-password"), 401, "APIGW.0301");
      expectCceError(await withToken(server, issued), 401, "APIGW.0301");
      expect((await requestToken(server, "alice", "a-new-password")).statusCode).toBe(201);
    });

    it("an unchanged seed is not re-hashed and keeps issued tokens working", async () => {
      const first = await restartWith(testSeed());
      const issued = await issuedToken(first, "alice", "alice-password");
      const before = await storedHash(PROJECT, "alice");
      const server = await restartWith(testSeed());
      expect(await storedHash(PROJECT, "alice")).toBe(before);
      expect((await withToken(server, issued)).statusCode).toBe(200);
    });

    it("leaves alone the projects that are not in the seed", async () => {
      const first = await restartWith(testSeed());
      const bobs = await issuedToken(first, "bob", "bob-password", OTHER_PROJECT);
      const server = await restartWith(
        edited((seed) => {
          seed.projects = [{ ...project(seed, 0), tokens: [], accessKeys: [], users: [] }];
        }),
      );
      expectCceError(await withToken(server, TOKEN), 401, "APIGW.0301");
      expect((await withToken(server, OTHER_TOKEN, OTHER_CLUSTER_PATH)).statusCode).toBe(200);
      expect((await withToken(server, bobs, OTHER_CLUSTER_PATH)).statusCode).toBe(200);
      expect((await signed(server, OTHER_AK, OTHER_SK, OTHER_CLUSTER_PATH)).statusCode).toBe(200);
      expect((await requestToken(server, "bob", "bob-password", OTHER_PROJECT)).statusCode).toBe(201);
    });
  });
});

describe.runIf(DIALECTS.includes("sqlite"))("hashing passwords on sqlite", () => {
  it("happens outside the write transaction: another connection can write while the seed hashes", async () => {
    const store = await freshStore("sqlite");
    const clock = new ManualClock();
    const users = Array.from({ length: 12 }, (_, i) => ({ name: `user-${i}`, password: `password-${i}` }));
    const seed = edited((s) => {
      project(s, 0).users = users;
    });
    const other = new SqliteDatabase(store.url.slice("sqlite:".length));
    other.pragma("busy_timeout = 0");
    let seeded = false;
    const seeding = applySeed(store, seed, clock).finally(() => {
      seeded = true;
    });
    // Each try takes the write lock at once or fails at once (busy_timeout 0); hashing 12 passwords takes far longer
    // than the seed's own short write, so most tries land while it hashes.
    let writes = 0;
    let tries = 0;
    while (!seeded) {
      await new Promise((resolve) => setImmediate(resolve));
      tries += 1;
      try {
        other.exec("begin immediate; commit");
        writes += 1;
      } catch {
        // the seed holds the write lock
      }
    }
    await seeding;
    other.close();
    await store.close();
    expect({ tries: tries > 20, writesAlongside: writes > tries / 2 }).toEqual({ tries: true, writesAlongside: true });
  });
});
