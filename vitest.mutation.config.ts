import { defineConfig } from "vitest/config";

/**
 * The tests Stryker runs against each mutant (stryker.config.mjs): the domain's unit tests and the engine's tests, on
 * SQLite only. The process and chaos tests (kill -9, SIGTERM, replicas) are left out: they are slow, and they start
 * the unmutated code in child processes, so they could not kill a mutant anyway.
 */
export default defineConfig({
  test: {
    include: ["test/domain/**/*.test.ts", "test/engine/**/*.test.ts"],
    exclude: ["test/engine/crash.test.ts", "test/engine/hook-crash.test.ts"],
    env: { TEST_SKIP_POSTGRES: "1" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
