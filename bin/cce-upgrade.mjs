#!/usr/bin/env node
// From a clone, runs the TypeScript CLI through tsx (no build step); from the installed package, the built CLI in this
// very process, so signals reach it directly.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
if (existsSync(source)) runThroughTsx(source);
else await import(new URL("../dist/cli/main.js", import.meta.url).href);

function runThroughTsx(cli) {
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
}
