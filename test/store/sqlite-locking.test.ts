import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/database.js";
import { applySeed } from "../../src/store/seed-file.js";
import { freshStore } from "../support/databases.js";
import { CLUSTER, ManualClock, testSeed } from "../support/fixtures.js";

/** Another process that takes the write lock, changes the cluster's description and commits after `holdMs`. */
const LOCK_HOLDER = `
const db = new (require("better-sqlite3"))(process.argv[1]);
db.exec("begin immediate");
db.prepare("update clusters set description = 'theirs' where id = ?").run(process.argv[3]);
process.stdout.write("locked\\n");
setTimeout(() => { db.exec("commit"); db.close(); }, Number(process.argv[2]));
`;

/** Resolves once the other process holds the write lock; `committed` once it has committed and exited. */
async function holdWriteLock(path: string, holdMs: number) {
  const child = spawn(process.execPath, ["-e", LOCK_HOLDER, path, String(holdMs), CLUSTER], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const committed = once(child, "exit");
  let output = "";
  for await (const chunk of child.stdout) {
    output += chunk;
    if (output.includes("locked")) break;
  }
  return { committed };
}

const description = async (store: Store) =>
  (await store.db.selectFrom("clusters").select("description").where("id", "=", CLUSTER).executeTakeFirstOrThrow())
    .description;

describe("SQLite with another process writing the same file", () => {
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  async function seededStore() {
    const store = await freshStore("sqlite");
    stores.push(store);
    await applySeed(store, testSeed(), new ManualClock());
    return { store, path: store.url.slice("sqlite:".length) };
  }

  it("a transaction that reads, then writes waits for the other writer and reads what it committed", async () => {
    const { store, path } = await seededStore();
    const other = await holdWriteLock(path, 300);
    // The engine's own write path: read the row, then write it, in one group-commit transaction.
    await store.groupCommit.run(async (trx) => {
      const row = await trx
        .selectFrom("clusters")
        .select("description")
        .where("id", "=", CLUSTER)
        .executeTakeFirstOrThrow();
      await trx
        .updateTable("clusters")
        .set({ description: `${row.description}+ours` })
        .where("id", "=", CLUSTER)
        .execute();
    });
    await other.committed;
    expect(await description(store)).toBe("theirs+ours");
  });

  it("a single statement and a transaction's start wait out the other writer instead of failing", async () => {
    const { store, path } = await seededStore();

    let other = await holdWriteLock(path, 200);
    await store.db.updateTable("clusters").set({ description: "single" }).where("id", "=", CLUSTER).execute();
    await other.committed;
    expect(await description(store)).toBe("single");

    other = await holdWriteLock(path, 200);
    await store.db
      .transaction()
      .execute((trx) =>
        trx.updateTable("clusters").set({ description: "in a transaction" }).where("id", "=", CLUSTER).execute(),
      );
    await other.committed;
    expect(await description(store)).toBe("in a transaction");
  });
});
