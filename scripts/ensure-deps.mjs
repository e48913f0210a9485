// Installs the locked dependencies on first use, so `npm start` and `npm test` work on a fresh clone.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const marker = "node_modules/.package-lock.json";
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync("package-lock.json").mtimeMs;
if (stale) {
  console.error("Installing dependencies (npm ci); better-sqlite3 compiles from source on first install...");
  execSync("npm ci --no-audit --no-fund", { stdio: "inherit" });
}
