#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so it works from a clone after `npm install` with no build step.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const child = spawn(process.execPath, ["--import", "tsx", cli, ...process.argv.slice(2)], { stdio: "inherit" });
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"];
// A signal sent to this launcher alone (a supervisor's SIGTERM to `serve`) must reach the CLI.
for (const signal of forwarded) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  if (signal === null) process.exit(code ?? 1);
  // Die of the same signal, so the caller sees what happened to the CLI.
  for (const name of forwarded) process.removeAllListeners(name);
  process.kill(process.pid, signal);
});
