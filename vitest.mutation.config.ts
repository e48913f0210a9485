import { defineConfig } from "vitest/config";

/**
 * The tests Stryker runs against each mutant (stryker.config.mjs), on SQLite only: for the domain its unit tests, for
 * the engine its contract tests (in memory, manual clocks) and the lease and driver-failure tests. Process, chaos and
 * HTTP suites are left out: they are slow (with the AK/SK suite the domain run takes ten times as long), and the
 * process ones start unmutated code in child processes.
 */
const ENGINE_TESTS = [
  "test/engine/task-run-contract.test.ts",
  "test/engine/upgrade-engine-contract.test.ts",
  "test/engine/check-runner-contract.test.ts",
  "test/engine/leases.test.ts",
  "test/engine/driver-failures.test.ts",
];

export default defineConfig({
  test: {
    include: process.env.MUTATION_SCOPE === "engine" ? ENGINE_TESTS : ["test/domain/**/*.test.ts"],
    env: { TEST_SKIP_POSTGRES: "1" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
