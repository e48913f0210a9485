import { describe, expect, it } from "vitest";
import { JSON_MAX_DEPTH, nestsDeeperThan } from "../../src/domain/json-depth.js";

const nested = (depth: number): unknown => {
  let value: unknown = 0;
  for (let level = 0; level < depth; level++) value = level % 2 ? [value] : { a: value };
  return value;
};

describe("JSON depth", () => {
  it("counts objects and arrays, not scalars, and stops at the limit", () => {
    expect(nestsDeeperThan(0, 0)).toBe(false);
    expect(nestsDeeperThan(nested(3), 3)).toBe(false);
    expect(nestsDeeperThan(nested(4), 3)).toBe(true);
    expect(nestsDeeperThan({ a: 1, b: [1, { c: null }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: 1, b: [1, { c: [] }] }, 3)).toBe(true);
  });

  it("walks a value far deeper than recursion could, and allows 64 levels", () => {
    expect(JSON_MAX_DEPTH).toBe(64);
    expect(nestsDeeperThan(nested(64), JSON_MAX_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nested(200_000), JSON_MAX_DEPTH)).toBe(true);
  });
});
