/**
 * Mutation testing of the domain and the engine: `npm run test:mutation` (not part of `npm test`) runs two scopes,
 * each against the tests that exercise it directly (vitest.mutation.config.ts): `MUTATION_SCOPE=domain` mutates
 * src/domain, `MUTATION_SCOPE=engine` src/engine. Reports go to reports/mutation/<scope>/.
 * @type {import("@stryker-mutator/api/core").PartialStrykerOptions}
 */
const scope = process.env.MUTATION_SCOPE === "engine" ? "engine" : "domain";

export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  mutate: [`src/${scope}/**/*.ts`],
  coverageAnalysis: "perTest",
  // The machine is shared: two test runners at most.
  concurrency: 2,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `reports/mutation/${scope}/index.html` },
  jsonReporter: { fileName: `reports/mutation/${scope}/mutation.json` },
  incrementalFile: `reports/mutation/${scope}/incremental.json`,
  ignorePatterns: ["dist", "data", "reports", "docs", "bench", "examples", "src/console"],
  tempDirName: ".stryker-tmp",
};
