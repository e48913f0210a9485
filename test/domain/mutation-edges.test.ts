import { describe, expect, it } from "vitest";
import { parseDisplayZone } from "../../src/domain/go-time.js";
import { evaluatePrecheck, type PrecheckInput } from "../../src/domain/upgrade-checks.js";
import { selectorMatches } from "../../src/domain/upgrade-plan.js";
import { decideControl } from "../../src/domain/upgrade-task.js";

/** Edges that mutation testing showed no other test pinned down. */

describe("parseDisplayZone's edges", () => {
  it("takes up to +1400 and minutes up to 59, and nothing around the offset and abbreviation", () => {
    expect(parseDisplayZone("+1400 LINT")).toEqual({ offsetMinutes: 840, abbreviation: "LINT" });
    expect(parseDisplayZone("-0959 X")).toEqual({ offsetMinutes: -599, abbreviation: "X" });
    for (const text of ["+1401 X", "+0060 X", "x+0800 CST", "+0800 CST x", "+0800"]) {
      expect(parseDisplayZone(text), text).toBeUndefined();
    }
  });
});

describe("selectorMatches, every operator", () => {
  const labels = { zone: "z1", weight: "5" };
  it.each([
    ["exists", "zone", [], true],
    ["exists", "rack", [], false],
    ["!", "rack", [], true],
    ["!", "zone", [], false],
    ["gt", "weight", ["4"], true],
    ["gt", "weight", ["5"], false],
    ["gt", "rack", ["0"], false],
    ["lt", "weight", ["6"], true],
    ["lt", "weight", ["5"], false],
    ["lt", "rack", ["9"], false],
    ["notin", "zone", ["z2"], true],
    ["notin", "zone", ["z1"], false],
    ["notin", "rack", ["z1"], true],
    ["unknown", "zone", ["z1"], false],
  ] as const)("%s %s %j → %s", (operator, key, value, expected) => {
    expect(selectorMatches({ key, value: [...value], operator } as never, labels)).toBe(expected);
  });
});

describe("pausing around the last step", () => {
  it("refuses only a Running task on its last step; a queued one pauses at once", () => {
    expect(decideControl("Running", false, "pause", true).kind).toBe("refuse");
    expect(decideControl("Running", false, "pause", false).kind).toBe("request-pause");
    expect(decideControl("Queuing", false, "pause", true)).toEqual(decideControl("Queuing", false, "pause", false));
    expect(decideControl("Queuing", false, "pause", true).kind).not.toBe("refuse");
  });
});

describe("DeprecatedAPIs: when an API counts as removed", () => {
  const TO = "v1.29.15-r50";
  const input = (removedIn: string | null): PrecheckInput => ({
    cluster: { version: "v1.28.15-r30", phase: "Available", hasActiveUpgrade: false },
    targetVersion: TO,
    nodes: [],
    addons: [],
    deprecatedApis: [{ url: "/apis/old", userAgent: "kubectl", removedIn }],
    inspection: { ok: true, failedItems: [] },
    skipped: [],
  });
  const phase = (removedIn: string | null) =>
    evaluatePrecheck(input(removedIn)).clusterCheckStatus.itemsStatus.find((i) => i.name === "DeprecatedAPIs")?.phase;

  it("counts an API removed in exactly the target, before it, or with no known version; not one removed later", () => {
    expect(phase(TO)).toBe("Failed");
    expect(phase("v1.25")).toBe("Failed");
    expect(phase(null)).toBe("Failed");
    expect(phase("v1.31")).toBe("Success");
  });
});
