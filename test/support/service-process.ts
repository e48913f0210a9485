import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
/** One process, no wrapper: a signal (SIGKILL above all) must reach the server itself. */
const NODE_ARGS = ["--import", "tsx", MAIN];

/** The service as a user runs it: a separate process, with its output collected. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly address: string;
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `src/main.ts` with the given environment on a free port, or `npm start` as a user types it (without its
 * console build); resolves once it is listening.
 */
export async function startService(
  env: Record<string, string>,
  via: "node" | "npm start" = "node",
): Promise<ServiceProcess> {
  const [command, args] =
    via === "node" ? [process.execPath, NODE_ARGS] : ["npm", ["start", "--ignore-scripts", "--silent"]];
  const child = spawn(command, args, {
    env: { ...process.env, PORT: "0", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`service did not start:\n${output}`));
    }, 60_000);
    const poll = setInterval(async () => {
      const match = /listening at (http:\/\/[\d.:]+)/.exec(output);
      if (child.exitCode !== null) reject(new Error(`service exited with ${child.exitCode}:\n${output}`));
      if (!match?.[1]) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve(match[1]);
    }, 50);
  });
  return {
    child,
    address,
    output: () => output,
    async stop(signal) {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/** Runs the service expecting it to fail at start-up; resolves with its exit code, its output and its stderr alone. */
export async function runFailingService(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; stderr: string }> {
  const child = spawn(process.execPath, NODE_ARGS, {
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
    stderr += chunk;
  });
  // "close", not "exit": the last output may still be in the pipes when the process exits.
  const [code] = await once(child, "close");
  return { code: code as number | null, output, stderr };
}
