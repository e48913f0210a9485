// A process killed in the middle of a migration: runs the real migrations up to 0004, whose table it creates, then
// reports "blocked" on stdout and waits to be killed (SIGKILL) before that migration can finish.
import { openStore } from "../../src/store/database.js";
import { migrateToLatest } from "../../src/store/migrate.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";

const url = process.env.DATABASE_URL;
if (!url) throw new Error("DATABASE_URL is required");
const checks = MIGRATIONS["0004-checks-and-workflows"];
if (!checks) throw new Error("migration 0004-checks-and-workflows is missing");

const store = await openStore(url);
await migrateToLatest(store, {
  "0001-initial": MIGRATIONS["0001-initial"] as (typeof MIGRATIONS)[string],
  "0002-engine": MIGRATIONS["0002-engine"] as (typeof MIGRATIONS)[string],
  "0003-iam-users": MIGRATIONS["0003-iam-users"] as (typeof MIGRATIONS)[string],
  "0004-checks-and-workflows": {
    async up(db) {
      await checks.up(db);
      process.stdout.write("blocked\n");
      await new Promise(() => setInterval(() => undefined, 60_000));
    },
  },
});
