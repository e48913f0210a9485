import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applySeed } from "../../src/store/seed-file.js";
import { DIALECTS, freshStore } from "../support/databases.js";
import { CLUSTER, ManualClock, testSeed } from "../support/fixtures.js";

describe.each(DIALECTS)("group commit on %s", (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeEach(async () => {
    store = await freshStore(dialect);
    await applySeed(store, testSeed(), new ManualClock());
  });
  afterEach(async () => store.close());

  const setDescription = (text: string) =>
    store.groupCommit.run((trx) =>
      trx.updateTable("clusters").set({ description: text }).where("id", "=", CLUSTER).execute(),
    );

  it("writes concurrent units together and settles each after the commit", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.groupCommit.run(async (trx) => {
          await trx
            .updateTable("clusters")
            .set({ description: `d${i}` })
            .where("id", "=", CLUSTER)
            .execute();
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const row = await store.db
      .selectFrom("clusters")
      .select("description")
      .where("id", "=", CLUSTER)
      .executeTakeFirst();
    expect(row?.description).toBe("d49");
  });

  it("rolls back only the unit that failed: the others in its batch are written", async () => {
    const failing = store.groupCommit.run(async (trx) => {
      await trx.updateTable("clusters").set({ name: "half-written" }).where("id", "=", CLUSTER).execute();
      throw new Error("unit failed");
    });
    const [before, after] = [setDescription("before"), setDescription("after")];
    await expect(failing).rejects.toThrow("unit failed");
    await Promise.all([before, after]);
    const row = await store.db.selectFrom("clusters").selectAll().where("id", "=", CLUSTER).executeTakeFirstOrThrow();
    expect(row.name).toBe("prod-a");
    expect(row.description).toBe("after");
  });
});
