import { defineConfig } from "vitest/config";

/**
 * The installed-package test (`npm run test:package`, run by CI after `npm test`): it packs the repository and
 * installs the tarball into an empty project, which compiles better-sqlite3 (about two minutes), too slow for
 * `npm test`.
 */
export default defineConfig({
  test: {
    include: ["test/package/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
