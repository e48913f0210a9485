import closeWithGrace from "close-with-grace";
import { pino } from "pino";
import { loadConfig } from "./config.js";
import { redactUrlPasswords } from "./domain/url-passwords.js";
import { type DemoCredentials, describeError, StartupError, startService } from "./service.js";

/** The only place that reads the environment, handles signals and sets the exit code. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel });
  const service = await startService(config, logger);
  // One write: whoever reads "listening" (a user, a test) has the demo's credentials with it.
  const banner = service.demo ? demoBanner(service.address, service.demo) : "";
  process.stdout.write(`cce-upgrade listening at ${service.address} (database: ${service.dialect})\n${banner}`);

  // Stop taking requests (503 while closing), let current steps finish and hand tasks back, then close the database.
  closeWithGrace({ delay: config.engine.shutdownGraceMs + 5_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, "shutting down after an error");
    else logger.info({ signal }, "shutting down");
    await service.close();
  });
}

function demoBanner(address: string, demo: DemoCredentials): string {
  const cluster = `${address}/api/v3/projects/${demo.projectId}/clusters/${demo.clusterId}`;
  return [
    "",
    "Demo project:",
    `  project id    ${demo.projectId}`,
    `  X-Auth-Token  ${demo.token}`,
    `  AK / SK       ${demo.ak} / ${demo.sk}`,
    ...(demo.user ? [`  IAM user      ${demo.user.name} / ${demo.user.password}  (POST /v3/auth/tokens)`] : []),
    `  Console       ${address}/console/`,
    "",
    "Try it:",
    `  curl -s -H 'X-Auth-Token: ${demo.token}' ${address}/api/v3/projects/${demo.projectId}/clusters`,
    `  curl -s -H 'X-Auth-Token: ${demo.token}' -H 'Content-Type: application/json' -X POST ${cluster}/operation/upgrade \\`,
    `    -d '{"metadata":{"apiVersion":"v3","kind":"UpgradeTask"},"spec":{"clusterUpgradeAction":{"targetVersion":"v1.29","strategy":{"type":"inPlaceRollingUpdate"}}}}'`,
    "",
  ].join("\n");
}

/** A start-up failure is one line with no stack trace and no URL password; LOG_LEVEL=debug or trace adds the stack. */
main().catch((error: unknown) => {
  process.stderr.write(`cce-upgrade: ${redactUrlPasswords(describeError(error)).replace(/\s*\n\s*/g, " ")}\n`);
  const original = error instanceof StartupError ? error.cause : error;
  const stack = original instanceof Error ? original.stack : undefined;
  if (stack && ["debug", "trace"].includes(process.env.LOG_LEVEL ?? "")) {
    process.stderr.write(`${redactUrlPasswords(stack)}\n`);
  }
  process.exit(1);
});
