import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../src/domain/bounded-map.js";

describe("BoundedMap", () => {
  it("forgets the oldest entry past its limit, and keeps size when a key is replaced", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1).set("b", 2).set("a", 3);
    expect([...map.entries()]).toEqual([
      ["a", 3],
      ["b", 2],
    ]);
    map.set("c", 4);
    expect([...map.keys()]).toEqual(["b", "c"]);
  });
});
