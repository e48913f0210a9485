import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const DRIVERS = new URL("../../src/drivers/", import.meta.url);

/** Drivers report what they reached; the engine records it under its lease. So no driver may reach our tables. */
describe("src/drivers/", () => {
  it("imports nothing from src/store/", () => {
    const files = readdirSync(DRIVERS).filter((name) => name.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.flatMap((name) => {
      const text = readFileSync(new URL(name, DRIVERS), "utf8");
      return [...text.matchAll(/from\s+"(\.\.\/store\/[^"]+)"/g)].map((match) => `${name} → ${match[1]}`);
    });
    expect(offenders).toEqual([]);
  });
});
