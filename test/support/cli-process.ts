import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LAUNCHER = new URL("../../bin/cce-upgrade.mjs", import.meta.url).pathname;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The user's environment without CCE_* settings, and a home without a profile. */
function cleanEnvironment(): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => !entry[0].startsWith("CCE_")),
  );
  return { ...env, HOME: mkdtempSync(join(tmpdir(), "cce-cli-home-")) };
}

/** Runs `cce-upgrade` as a user does, in a process of its own; stdout and stderr are pipes, not TTYs. */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [LAUNCHER, ...args], { env: { ...cleanEnvironment(), ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const [code] = await once(child, "exit");
  return { code: code as number | null, stdout, stderr };
}

/**
 * The rows of a table the CLI printed, keyed by lower-case header. Cells are cut where the header's titles start, not
 * at spaces: a cell may be blank or hold spaces itself.
 */
export function parseTable(text: string): Record<string, string>[] {
  const [header = "", ...lines] = text.trimEnd().split("\n");
  const titles = header.split(/ {2,}/);
  let end = 0;
  const starts = titles.map((title) => {
    const start = header.indexOf(title, end);
    end = start + title.length;
    return start;
  });
  return lines.map((line) =>
    Object.fromEntries(
      titles.map((title, column) => [title.toLowerCase(), line.slice(starts[column], starts[column + 1]).trim()]),
    ),
  );
}
