import { type ChildProcess, spawn } from "node:child_process";
import type { StepFailure } from "../domain/upgrade-plan.js";
import type { CallOutcome, HookCaller, HookStepRequest } from "./hook-request.js";
import { requestEnvironment, tenantReason } from "./hook-request.js";

/** `EX_TEMPFAIL` from sysexits.h: the command asks to be called again later. */
export const EXIT_CALL_AGAIN = 75;

/** How long a command may take to exit after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** The end of stderr that is kept (the server's log quotes its last lines); stdout is not read at all. */
const STDERR_KEPT_BYTES = 16_384;
const LOGGED_STDERR_LINES = 20;

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly spawnError?: Error;
}

/**
 * Calls a hook as a child process: the step request on stdin and in `CCE_*` environment variables; exit 0 is done,
 * 75 is "call again later", anything else a failure. Its stderr goes to the server's log; a tenant sees its last
 * `exposedStderrLines` lines (the profile's `exposeStderr`), none by default. The command runs in its own process
 * group, so a timeout or an abort ends the scripts it started too.
 */
export class CommandCaller implements HookCaller {
  constructor(
    private readonly command: readonly string[],
    private readonly timeoutMs: number,
    private readonly exposedStderrLines: number,
  ) {}

  async call(request: HookStepRequest, signal: AbortSignal): Promise<CallOutcome> {
    signal.throwIfAborted();
    const exit = await this.#run(request, signal);
    signal.throwIfAborted();
    return exitOutcome(exit, this.timeoutMs, this.exposedStderrLines);
  }

  #run(request: HookStepRequest, signal: AbortSignal): Promise<Exit> {
    const [program, ...args] = this.command as [string, ...string[]];
    const child = spawn(program, args, {
      env: { ...process.env, ...requestEnvironment(request) },
      stdio: ["pipe", "ignore", "pipe"],
      detached: true,
    });
    let stderr = "";
    let timedOut = false;
    let spawnError: Error | undefined;
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT_BYTES);
    });
    // A command that does not read its stdin closes the pipe early; that is its right.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(JSON.stringify(request));

    const timer = setTimeout(() => {
      timedOut = true;
      terminate(child);
    }, this.timeoutMs);
    const onAbort = () => terminate(child);
    signal.addEventListener("abort", onAbort, { once: true });
    return new Promise((resolve) => {
      child.on("error", (error) => {
        spawnError = error;
      });
      child.on("close", (code, exitSignal) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve({ code, signal: exitSignal, stderr, timedOut, ...(spawnError && { spawnError }) });
      });
    });
  }
}

/** SIGTERM to the whole process group, SIGKILL if it is still there after the grace. */
function terminate(child: ChildProcess): void {
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  killGroup("SIGTERM");
  setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS).unref();
}

function exitOutcome(exit: Exit, timeoutMs: number, exposedLines: number): CallOutcome {
  const detail = { stderr: lastLines(exit.stderr, LOGGED_STDERR_LINES).join("\n") };
  const exposed = tenantReason(lastLines(exit.stderr, exposedLines).join("; "), "end");
  const failure = (code: string, fixed: string, retryable: boolean): StepFailure => {
    return { code, message: exposed === "" ? fixed : `${fixed}: ${exposed}`, retryable };
  };
  if (exit.spawnError) {
    const notRunnable = { code: "HookCommandNotRunnable", message: "the hook command cannot be run", retryable: false };
    return { kind: "failed", failure: notRunnable, detail: { error: exit.spawnError.message } };
  }
  if (exit.timedOut) {
    const message = `the hook command did not finish within ${timeoutMs / 1000} s and was killed`;
    return { kind: "transient", failure: failure("HookTimeout", message, true), detail };
  }
  if (exit.code === 0) return { kind: "done" };
  if (exit.code === EXIT_CALL_AGAIN) return { kind: "in-progress" };
  if (exit.signal !== null) {
    const message = `the hook command was killed by ${exit.signal}`;
    return { kind: "transient", failure: failure("HookKilled", message, true), detail };
  }
  // The exit code says nothing the exposed lines would not: they are the whole reason when there are some.
  const message = exposed === "" ? `the hook command exited with ${exit.code}` : exposed;
  return { kind: "failed", failure: { code: `HookExit${exit.code}`, message, retryable: false }, detail };
}

/** The last `count` lines of a text that are not blank, trimmed. */
function lastLines(text: string, count: number): string[] {
  if (count === 0) return [];
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .slice(-count);
}
