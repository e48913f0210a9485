/**
 * Mutation testing of the domain and the engine: `npm run test:mutation` (not part of `npm test`). One folder or file:
 * `npm run test:mutation -- --mutate src/engine/task-run.ts`. The report is written to reports/mutation/.
 * @type {import("@stryker-mutator/api/core").PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  mutate: ["src/domain/**/*.ts", "src/engine/**/*.ts"],
  coverageAnalysis: "perTest",
  // The machine is shared: two test runners at most.
  concurrency: 2,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  incrementalFile: "reports/mutation/incremental.json",
  ignorePatterns: ["dist", "data", "reports", "docs", "bench", "examples", "src/console"],
  tempDirName: ".stryker-tmp",
};
