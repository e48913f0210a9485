import { type ChildProcess, spawn } from "node:child_process";
import type { CallOutcome, HookCaller, HookStepRequest } from "./hook-request.js";
import { requestEnvironment } from "./hook-request.js";

/** `EX_TEMPFAIL` from sysexits.h: the command asks to be called again later. */
export const EXIT_CALL_AGAIN = 75;

/** How long a command may take to exit after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** The stderr lines a failure quotes, and the bytes kept to find them. */
const REASON_LINES = 5;
const STDERR_KEPT_BYTES = 16_384;

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly spawnError?: Error;
}

/**
 * Calls a hook as a child process: the step request on stdin and in `CCE_*` environment variables; exit 0 is done,
 * 75 is "call again later", anything else a failure quoting the end of stderr. The command runs in its own process
 * group, so a timeout or an abort ends the scripts it started too.
 */
export class CommandCaller implements HookCaller {
  constructor(
    private readonly command: readonly string[],
    private readonly timeoutMs: number,
  ) {}

  async call(request: HookStepRequest, signal: AbortSignal): Promise<CallOutcome> {
    signal.throwIfAborted();
    const exit = await this.#run(request, signal);
    signal.throwIfAborted();
    return exitOutcome(this.command, exit, this.timeoutMs);
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

function exitOutcome(command: readonly string[], exit: Exit, timeoutMs: number): CallOutcome {
  const name = command[0];
  if (exit.spawnError) {
    const message = `cannot run ${name}: ${exit.spawnError.message}`;
    return { kind: "failed", failure: { code: "HookCommandNotRunnable", message, retryable: false } };
  }
  if (exit.timedOut) {
    const message = `${name} did not finish within ${timeoutMs / 1000} s and was killed${stderrTail(exit.stderr)}`;
    return { kind: "transient", failure: { code: "HookTimeout", message, retryable: true } };
  }
  if (exit.code === 0) return { kind: "done" };
  if (exit.code === EXIT_CALL_AGAIN) return { kind: "in-progress" };
  if (exit.signal !== null) {
    const message = `${name} was killed by ${exit.signal}${stderrTail(exit.stderr)}`;
    return { kind: "transient", failure: { code: "HookKilled", message, retryable: true } };
  }
  const tail = lastLines(exit.stderr);
  const message = tail === "" ? `${name} exited with ${exit.code}` : tail;
  return { kind: "failed", failure: { code: `HookExit${exit.code}`, message, retryable: false } };
}

function lastLines(text: string): string {
  const lines = text.split("\n").map((line) => line.trim());
  return lines
    .filter((line) => line !== "")
    .slice(-REASON_LINES)
    .join("; ");
}

function stderrTail(stderr: string): string {
  const tail = lastLines(stderr);
  return tail === "" ? "" : `: ${tail}`;
}
