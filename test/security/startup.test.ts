import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { Migration } from "kysely";
import { describe, expect, it } from "vitest";
import { redactUrlPasswords } from "../../src/domain/url-passwords.js";
import { openStore, type Store } from "../../src/store/database.js";
import { isSchemaCurrent, MigrationFailedError, migrateToLatest } from "../../src/store/migrate.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { DIALECTS, freshDatabaseUrl, POSTGRES_URL } from "../support/databases.js";
import { runFailingService, startService } from "../support/service-process.js";

const DEMO_CLUSTER = "3f7a2c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b";
/** Starting the real process (tsx compiles src/) takes seconds, many more on a loaded machine. */
const PROCESS_MS = 120_000;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "cce-startup-"));
}

function writeJson(value: unknown): string {
  const path = join(tempDir(), "seed.json");
  writeFileSync(path, JSON.stringify(value));
  return path;
}

const project = (id: string, clusterId: string) => ({
  id,
  name: `p-${id.slice(0, 4)}`,
  clusters: [{ id: clusterId, name: "c", version: "v1.28", nodePools: [{ id: "p", name: "p", nodeCount: 1 }] }],
});

/** Exit 1 and one line on stderr naming the problem, with no password and no stack trace. */
async function expectOneLineFailure(env: Record<string, string>, named: RegExp): Promise<string> {
  const { code, stderr } = await runFailingService(env);
  expect({ code, lines: stderr.trimEnd().split("\n") }).toEqual({ code: 1, lines: [expect.stringMatching(named)] });
  expect(stderr).not.toContain("secret");
  expect(stderr).not.toMatch(/\n\s+at /);
  return stderr;
}

describe("start-up failures print one line naming the problem", { timeout: PROCESS_MS }, () => {
  it("an unreachable PostgreSQL, its password cut from the URL", async () => {
    await expectOneLineFailure({ DATABASE_URL: "postgres://u:secret@127.0.0.1:1/x" }, /127\.0\.0\.1:1/);
  });

  it.runIf(DIALECTS.includes("postgres"))("a PostgreSQL database that does not exist", async () => {
    const url = new URL(POSTGRES_URL);
    url.password = "secret";
    url.pathname = "/cce_no_such_database";
    await expectOneLineFailure({ DATABASE_URL: url.toString() }, /cce_no_such_database/);
  });

  it.each([
    ["another scheme", "mysql://u:secret@127.0.0.1/x"],
    ["a URL that does not parse", "postgres://u:secret@127.0.0.1:port/x"],
  ])("a DATABASE_URL with %s", async (_, url) => {
    await expectOneLineFailure({ DATABASE_URL: url }, /DATABASE_URL/);
  });

  it("a SQLite file that is not a database", async () => {
    const path = join(tempDir(), "cce.db");
    writeFileSync(path, "this is not a database, it is a text file long enough to have a header");
    await expectOneLineFailure({ DATABASE_URL: `sqlite:${path}` }, /not a database/);
  });

  it("a migration that fails", async () => {
    const url = freshDatabaseUrl("sqlite");
    const store = await openStore(url);
    await store.db.schema.createTable("projects").addColumn("id", "text").execute();
    await store.close();
    await expectOneLineFailure({ DATABASE_URL: url }, /0001-initial/);
  });

  it("a seed file that does not parse", async () => {
    const path = join(tempDir(), "seed.json");
    writeFileSync(path, '{"projects": [');
    await expectOneLineFailure({ DATABASE_URL: freshDatabaseUrl("sqlite"), SEED_FILE: path }, /seed\.json/);
  });

  it("a seed file with one cluster id in two projects names both places", async () => {
    const cluster = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    const seed = writeJson({
      projects: [project("a".repeat(32), cluster), project("b".repeat(32), cluster)],
    });
    const line = await expectOneLineFailure(
      { DATABASE_URL: freshDatabaseUrl("sqlite"), SEED_FILE: seed },
      /\/projects\/0\/clusters\/0\/id/,
    );
    expect(line).toContain("/projects/1/clusters/0/id");
  });

  it("a seed file giving the demo's cluster to another project, naming the place and the owner", async () => {
    const env = { DATABASE_URL: freshDatabaseUrl("sqlite") };
    const demo = await startService(env);
    expect(await demo.stop("SIGTERM")).toBe(0);
    const seed = writeJson({ projects: [project("c".repeat(32), DEMO_CLUSTER)] });
    await expectOneLineFailure(
      { ...env, SEED_FILE: seed },
      /\/projects\/0\/clusters\/0\/id.*5f1c0e2b7a9d4c3e8b6a1f0d2c4e6a8b/,
    );
  });
});

describe("redactUrlPasswords", () => {
  it("cuts the password of every URL in a text, whatever it holds, and nothing else (property)", () => {
    const password = fc.stringMatching(/^[A-Za-z0-9@:%!$&'()*+,;=._~-]{1,24}$/);
    const user = fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/);
    fc.assert(
      fc.property(user, password, password, (name, first, second) => {
        const text = (a: string, b: string) =>
          `got "postgres://${name}:${a}@db.example:5432/x?schema=s" then https://k:${b}@hooks.example/path, end`;
        expect(redactUrlPasswords(text(first, second))).toBe(text("***", "***"));
      }),
    );
  });
});

/** The first `count` real migrations, the last one replaced by `last`. */
function migrationsEndingWith(count: number, last: Migration): Record<string, Migration> {
  const names = Object.keys(MIGRATIONS).slice(0, count);
  return Object.fromEntries(names.map((name, i) => [name, i === count - 1 ? last : (MIGRATIONS[name] as Migration)]));
}

/** The tables of the store's own schema (PostgreSQL introspection sees every schema). */
async function tableNames(store: Store): Promise<string[]> {
  const tables = await store.db.introspection.getTables();
  return tables.filter((table) => store.schema === undefined || table.schema === store.schema).map((t) => t.name);
}

async function appliedNames(store: Store): Promise<string[]> {
  if (!(await tableNames(store)).includes("schema_migrations")) return [];
  const rows = await store.db
    .selectFrom("schema_migrations" as never)
    .select("name" as never)
    .execute();
  return (rows as { name: string }[]).map((row) => row.name).sort();
}

const BLOCKED_MIGRATION = new URL("./blocked-migration.ts", import.meta.url).pathname;

describe.each(DIALECTS)("a migration that does not finish, on %s", { timeout: PROCESS_MS }, (dialect) => {
  it("is not half-applied when it fails after creating a table, and the next start migrates", async () => {
    const url = freshDatabaseUrl(dialect);
    const store = await openStore(url);
    try {
      const engine = MIGRATIONS["0002-engine"] as Migration;
      const failing = migrationsEndingWith(2, {
        async up(db) {
          await engine.up(db);
          throw new Error("disk on fire");
        },
      });
      await expect(migrateToLatest(store, failing)).rejects.toThrow(MigrationFailedError);
      expect(await appliedNames(store)).not.toContain("0002-engine");
      expect(await tableNames(store)).not.toContain("cluster_faults");
      await migrateToLatest(store);
      expect(await isSchemaCurrent(store)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("is not half-applied after kill -9 in its middle, and the next start migrates", async () => {
    const url = freshDatabaseUrl(dialect);
    const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", BLOCKED_MIGRATION], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    const deadline = Date.now() + 30_000;
    while (!output.includes("blocked")) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the migration did not block:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;

    const store = await openStore(url);
    try {
      expect(await appliedNames(store)).not.toContain("0004-checks-and-workflows");
      expect(await tableNames(store)).not.toContain("precheck_tasks");
      await migrateToLatest(store);
      expect(await isSchemaCurrent(store)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
