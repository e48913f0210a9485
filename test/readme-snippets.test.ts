import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../src/index.js";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const NODE_MODULES = new URL("../node_modules", import.meta.url).pathname;

/** The first fenced block of `language` after `marker` in the README. */
function snippetAfter(marker: string, language: string): string {
  const start = README.indexOf(marker);
  expect(start, marker).toBeGreaterThan(-1);
  const block = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(README.slice(start))?.[1];
  if (!block) throw new Error(`no ${language} block after ${marker}`);
  return block;
}

/** README snippets run as a user would run them, against a server started in this process. */
describe("the README's snippets", () => {
  let emulator: Emulator | undefined;
  afterEach(async () => emulator?.close());

  it("the official Node SDK snippet prints the demo cluster, as a plain .cjs file", async () => {
    emulator = await startEmulator();
    const snippet = snippetAfter("With the official Node SDK", "js").replace("http://127.0.0.1:8080", emulator.url);
    const file = join(mkdtempSync(join(tmpdir(), "cce-readme-")), "show-cluster.cjs");
    writeFileSync(file, snippet);
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [file], {
      env: { ...process.env, NODE_PATH: NODE_MODULES },
    });
    expect(stderr).toBe("");
    expect(stdout.trim()).toBe("prod-a v1.28.15-r30");
  });
});
