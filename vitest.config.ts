import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The installed-package test compiles native code for minutes: CI runs it apart (vitest.package.config.ts).
    exclude: ["test/package/**", "**/node_modules/**"],
    pool: "forks",
    // Most suites wait on timers, child processes and the database more than they compute: three forks on two cores
    // took the run from 824 s to 636 s here (the default is one fork fewer than the cores).
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
    globalSetup: ["./test/support/postgres-run.ts"],
  },
});
