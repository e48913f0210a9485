import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CceUpgradeClient } from "../../src/client/index.js";
import { OPERATIONS } from "../../src/client/operations.js";
import { emulatorsClosedAfterEach } from "../support/client-emulators.js";

/** Routes the client leaves out: probes and IAM sign-in are not the project's API. */
const NOT_CLIENT_OPERATIONS = new Set(["Health", "Ready", "KeystoneCreateUserTokenByPassword"]);
const SOURCE = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

interface OpenApi {
  paths: Record<string, Record<string, { operationId?: string }>>;
}

/** Every operation the running server documents, as the client's table would write it. */
function serverOperations(document: OpenApi): Record<string, { method: string; path: string }> {
  const found: Record<string, { method: string; path: string }> = {};
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, { operationId }] of Object.entries(methods)) {
      if (operationId === undefined || NOT_CLIENT_OPERATIONS.has(operationId)) continue;
      const name = `${operationId.charAt(0).toLowerCase()}${operationId.slice(1)}`;
      found[name] = { method: method.toUpperCase(), path };
    }
  }
  return found;
}

/** The files `entry` loads at run time, following relative imports and re-exports (type-only ones load nothing). */
function runtimeImports(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, "utf8");
    for (const [, specifier = ""] of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+"([^"]+)";/gm)) {
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      else packages.add(specifier);
    }
  };
  visit(entry);
  return { files, packages };
}

describe("the client's operations", () => {
  const start = emulatorsClosedAfterEach();

  it("are exactly the server's CCE and extension routes, with the same methods and paths", async () => {
    const emulator = await start();
    const document = (await (await fetch(`${emulator.url}/openapi.json`)).json()) as OpenApi;
    const expected = serverOperations(document);
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(["showUpgradeTaskPlan", "showJob"]));
    expect(OPERATIONS).toEqual(expected);
  });

  it("each have a method of that name", () => {
    const methods = Object.keys(OPERATIONS).filter(
      (name) => typeof Reflect.get(CceUpgradeClient.prototype, name) !== "function",
    );
    expect(methods).toEqual([]);
  });

  it("load only the client, the pure domain and Node's own modules, never the server's", () => {
    const { files, packages } = runtimeImports(resolve(SOURCE, "client/index.ts"));
    const outside = [...files]
      .map((file) => relative(SOURCE, file))
      .filter((file) => !file.startsWith("client/") && !file.startsWith("domain/"));
    expect(outside).toEqual([]);
    expect([...packages].filter((name) => !name.startsWith("node:"))).toEqual([]);
    expect(files.size).toBeGreaterThan(5);
  });
});
