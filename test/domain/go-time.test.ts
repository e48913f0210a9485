import { describe, expect, it } from "vitest";
import { formatGoTime, parseDisplayZone, UTC } from "../../src/domain/go-time.js";

const CST = { offsetMinutes: 480, abbreviation: "CST" };
const micros = (iso: string, extraMicros = 0) => Date.parse(iso) * 1000 + extraMicros;

describe("formatGoTime", () => {
  it("reproduces the seed page's timestamps exactly", () => {
    expect(formatGoTime(micros("2022-12-16T05:40:20.756Z", 710), CST)).toBe("2022-12-16 13:40:20.75671 +0800 CST");
    expect(formatGoTime(micros("2022-12-16T05:40:20.756Z", 712), CST)).toBe("2022-12-16 13:40:20.756712 +0800 CST");
  });

  it("drops the fraction and its dot when it is zero", () => {
    expect(formatGoTime(micros("2024-05-31T12:00:00Z"), UTC)).toBe("2024-05-31 12:00:00 +0000 UTC");
    expect(formatGoTime(micros("2024-05-31T12:00:00.5Z"), UTC)).toBe("2024-05-31 12:00:00.5 +0000 UTC");
  });

  it("rolls the date over with the zone offset, and prints negative offsets", () => {
    expect(formatGoTime(micros("2024-12-31T20:00:00Z"), CST)).toBe("2025-01-01 04:00:00 +0800 CST");
    const zone = parseDisplayZone("-0330 NST");
    expect(zone).toEqual({ offsetMinutes: -210, abbreviation: "NST" });
    expect(formatGoTime(micros("2024-01-01T01:00:00Z"), zone)).toBe("2023-12-31 21:30:00 -0330 NST");
  });
});

describe("parseDisplayZone", () => {
  it("accepts UTC, CST and explicit offsets, and refuses nonsense", () => {
    expect(parseDisplayZone("UTC")).toEqual(UTC);
    expect(parseDisplayZone("CST")).toEqual(CST);
    expect(parseDisplayZone("+0800 CST")).toEqual(CST);
    for (const bad of ["", "+8 CST", "+0860 X", "+2000 X", "Europe/Paris", "+0800"]) {
      expect(parseDisplayZone(bad)).toBeUndefined();
    }
  });
});
